#!/usr/bin/env bash
# Runs vimoe from the offline GPU kit on this machine's PyTorch (the torch package python3 imports,
# a CUDA build for a GPU), from the project root of the checkout that holds .gpu/:
#
#   bash .gpu/run.sh COMMAND [OPTIONS]          e.g. bash .gpu/run.sh train --device gpu --epochs 2
#
# DJL loads that PyTorch (PYTORCH_LIBRARY_PATH, PYTORCH_VERSION, PYTORCH_FLAVOR) and its JNI from
# DJL's cache; the first call builds the JNI for this PyTorch with build-jni.sh (under a minute on
# 16 cores) and puts it there. VIMOE_JAVA_OPTS adds JVM options (e.g. -Xmx32g).
set -euo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
read -r torch version flavor < <(python3 -c '
import os, torch
cuda = torch.version.cuda
print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0],
      "cu" + cuda.replace(".", "") if cuda else "cpu")') \
  || { echo "run.sh: python3 cannot import torch; install PyTorch for python3" >&2; exit 2; }
djl=$(cat "$kit/djl.version")

# where DJL looks for the JNI of a PyTorch given by PYTORCH_LIBRARY_PATH (DJL's LibUtils)
cache=${ENGINE_CACHE_DIR:-${DJL_CACHE_DIR:-$HOME/.djl.ai}}/pytorch/$version-$flavor-linux-x86_64
jni=$cache/$djl-libdjl_torch.so
if [ ! -f "$jni" ]; then
  built=$kit/jni/libdjl_torch-$version-$flavor.so
  [ -f "$built" ] || bash "$kit/build-jni.sh" "$built"
  mkdir -p "$cache"
  cp "$built" "$jni.tmp.$$"
  mv "$jni.tmp.$$" "$jni"
fi

# the CUDA runtime of pip's torch wheels lives beside torch; DJL finds GPUs through it
jna=$torch/lib
[ -d "$(dirname "$torch")/nvidia/cuda_runtime/lib" ] && jna=$jna:$(dirname "$torch")/nvidia/cuda_runtime/lib
export PYTORCH_LIBRARY_PATH=$torch/lib PYTORCH_VERSION=$version PYTORCH_FLAVOR=$flavor
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# shellcheck disable=SC2086 # VIMOE_JAVA_OPTS holds several options
exec "$kit/jre/bin/java" ${VIMOE_JAVA_OPTS:-} -Dai.djl.offline=true -Djava.awt.headless=true \
  -Djna.library.path="$jna" -jar "$kit/vimoe.jar" "$@"
