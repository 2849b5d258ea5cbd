#!/usr/bin/env bash
# Profiles vimoe training steps with PyTorch's profiler and prints op calls per step and the ops with the most
# self time.   scripts/profile-step.sh ROUTER [micro|s64|s224] [BATCH] [STEPS]     (from the project root,
# after mvn package; PROJECT=DIR profiles another checkout's build with this tool)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=${PROJECT:-$(cd "$here/.." && pwd)}
out=$(mktemp -d)
cp=$project/target/classes:$project/target/lib/*
javac -d "$out" -cp "$cp" "$here/profile/StepProfile.java"
steps=${4:-3}
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} java -Dai.djl.offline=true -cp "$out:$cp" StepProfile "$1" "$out/trace.json" \
  "${2:-micro}" "${3:-128}" "$steps" 2>&1 | grep -v -i -E 'warn|cuda' || true
python3 "$here/profile/trace_summary.py" "$out/trace.json" "$steps"
[ -n "${KEEP_TRACE:-}" ] && cp "$out/trace.json" "$KEEP_TRACE"
rm -rf "$out"
