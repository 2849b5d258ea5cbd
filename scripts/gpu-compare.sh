#!/usr/bin/env bash
# vimoe against the PyTorch peer on one GPU, in one go: training throughput (forward, backward, clipping, AdamW;
# images/s) of dense and each router at `micro` batch 128 and at `s224` (ViT-S/16, 224x224 RGB, MoE every 2nd
# block) batch 64, then one table with the vimoe/peer ratios. About 3 minutes on an H100 or H200, plus the
# JNI build (~40 s) on a fresh machine.
#
# On the GPU machine, from the project root, with .gpu/ made by scripts/gpu/make-kit.sh and copied there
# (docs/gpu.md):
#   bash scripts/gpu-compare.sh                 the peer's routers (dense, softmax-tc, softmax-ec, soft)
#   bash scripts/gpu-compare.sh --all           also vimoe's other routers (their peer column is empty)
# Options: --configs micro,s224  --steps N (timed vimoe steps per round; default 15)  --rounds N (default 2)
#          --dry-run (print the commands only).
# The commands can be replaced (to check this script on a CPU machine):
#   VIMOE_CMD (default: bash .gpu/run.sh)  PEER_CMD (default: python3 .gpu/torch_peer.py)
#   DEVICE (vimoe's --device, default gpu)  PEER_DEVICE (the peer's --device, default cuda)
set -euo pipefail
configs=micro,s224 steps=15 rounds=2 all=0 dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) configs=${2:?--configs needs a value}; shift 2 ;;
    --steps) steps=${2:?--steps needs a number}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --all) all=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-compare.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
done
case "$steps$rounds" in *[!0-9]*|'') echo "gpu-compare.sh: --steps and --rounds take whole numbers" >&2; exit 2 ;; esac
for c in ${configs//,/ }; do
  case "$c" in micro|s224) ;; *) echo "gpu-compare.sh: unknown config '$c' (micro or s224)" >&2; exit 2 ;; esac
done
vimoe=${VIMOE_CMD:-bash .gpu/run.sh}
peer=${PEER_CMD:-python3 .gpu/torch_peer.py}
device=${DEVICE:-gpu} peer_device=${PEER_DEVICE:-cuda}
peer_routers=dense,softmax-tc,softmax-ec,soft
vimoe_routers=$peer_routers
[ "$all" = 1 ] && vimoe_routers=$peer_routers,sinkhorn-tc,sparse-ot-tc,sinkhorn-ec,sparse-ot-ec
if [ "$dry" = 0 ] && [ -z "${VIMOE_CMD:-}" ] && [ ! -f .gpu/run.sh ]; then
  echo "gpu-compare.sh: no .gpu/run.sh here; run scripts/gpu/make-kit.sh, copy .gpu/ into this checkout" \
    "and start this script from its root" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # run LOGFILE COMMAND...: prints the command; runs it unless --dry-run, its output to LOGFILE
  local log=$1; shift
  echo "+ $*" >&2
  [ "$dry" = 1 ] && return 0
  if ! "$@" > "$log" 2> "$log.err"; then
    echo "gpu-compare.sh: failed: $*" >&2; tail -5 "$log.err" >&2; exit 1
  fi
}

for c in ${configs//,/ }; do
  case "$c" in
    micro) batch=128 model=(--model micro) ;;
    s224) batch=64 model=(--model s --image-size 224 --patch-size 16 --channels 3 --moe-layers every:2) ;;
    *) echo "gpu-compare.sh: unknown config '$c' (micro or s224)" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2086
  run "$out/vimoe-$c" $vimoe bench "${model[@]}" --routers "$vimoe_routers" --batch-size "$batch" \
    --steps "$steps" --rounds "$rounds" --device "$device"
  # the peer warms up 5 steps, then times --steps: as many as vimoe times over its rounds
  # shellcheck disable=SC2086
  run "$out/peer-$c" $peer --config "$c" --batch "$batch" --steps $((steps * rounds)) --routers "$peer_routers" \
    --device "$peer_device"
done
[ "$dry" = 1 ] && exit 0

# vimoe bench prints "ROUTER IMAGES/S RATIOx" rows on stdout; the peer "peer CONFIG ROUTER IMAGES/S" lines
echo
echo "| model, batch | router | peer images/s | vimoe images/s | vimoe / peer |"
echo "| --- | --- | --- | --- | --- |"
for c in ${configs//,/ }; do
  [ "$c" = micro ] && label="micro, 128" || label="s224, 64"
  awk -v label="$label" -v c="$c" '
    FILENAME ~ /peer-/ && $1 == "peer" && $2 == c { peer[$3] = $4 }
    FILENAME ~ /vimoe-/ && $3 ~ /x$/ && $2 ~ /^[0-9.]+$/ { order[++n] = $1; vim[$1] = $2 }
    END {
      for (i = 1; i <= n; i++) {
        r = order[i]
        if (r in peer) printf "| %s | %s | %.1f | %.1f | %.2f |\n", label, r, peer[r], vim[r], vim[r] / peer[r]
        else printf "| %s | %s | - | %.1f | - |\n", label, r, vim[r]
      }
      if (n == 0) { print "gpu-compare.sh: no vimoe rows for " c > "/dev/stderr"; exit 1 }
    }' "$out/peer-$c" "$out/vimoe-$c"
done
grep -h "^training throughput" "$out"/vimoe-*.err >&2 || true
