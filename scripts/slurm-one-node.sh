#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the test of examples/study-slurm.sh (SlurmStudyTest):
# writes /etc/slurm/slurm.conf and starts munged (as the munge user), slurmctld and slurmd, as root.
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). Idempotent: a cluster that
# already answers is left as it is.
#
# proctrack/pgid, task/none and jobacct_gather/none need no cgroups, so it runs in containers too.
# SelectTypeParameters=CR_CPU schedules cores only: jobs asking --mem=0 share the node.
set -euo pipefail
[[ "$(id -u)" -eq 0 ]] || { echo "slurm-one-node.sh: run as root (sudo $0)" >&2; exit 2; }
for bin in munged slurmctld slurmd sinfo; do
  command -v "$bin" >/dev/null || {
    echo "slurm-one-node.sh: $bin is missing; apt-get install slurm-wlm munge" >&2
    exit 2
  }
done

idle() { sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; }
if idle; then
  echo "slurm-one-node.sh: the cluster is up already"
  exit 0
fi

host="$(hostname -s)"
cpus="$(nproc)"
memory_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"

# munge: the key Debian's package made, or a new one.
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
fi

install -d -m 0755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf=/etc/slurm/slurm.conf
tmp="$(mktemp /etc/slurm/.slurm.conf.XXXXXX)"
cat >"$tmp" <<EOF
ClusterName=vimoe
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
chmod 0644 "$tmp"
mv "$tmp" "$conf"

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 60); do
  if idle; then
    echo "slurm-one-node.sh: node $host ($cpus CPUs) is up"
    exit 0
  fi
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm-one-node.sh: the node did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo >&2 || true
exit 1
