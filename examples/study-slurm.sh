#!/bin/bash
# A vimoe study as a Slurm array job: one array task per run, on any nodes that share the study directory.
#
#   ./vimoe study plan --output /shared/studies/routers --preset standard > plan.txt
#   sbatch --array=1-$(wc -l < plan.txt) examples/study-slurm.sh plan.txt
#   ./vimoe study report /shared/studies/routers      # when the array is done (unfinished runs are listed)
#
# A task that is killed (time limit, preemption) continues from its last checkpoint when resubmitted:
#   sbatch --array=7 examples/study-slurm.sh plan.txt
#SBATCH --job-name=vimoe-study
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=vimoe-study-%A_%a.log
set -euo pipefail
plan="${1:?usage: sbatch --array=1-N examples/study-slurm.sh PLAN_FILE}"
# PyTorch's CPU threads: the cores Slurm gave this task.
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
line="$(sed -n "${SLURM_ARRAY_TASK_ID}p" "$plan")"
[[ -n "$line" ]] || { echo "no line ${SLURM_ARRAY_TASK_ID} in $plan" >&2; exit 2; }
exec sh -c "$line"
