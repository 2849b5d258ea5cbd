#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from the sources in the kit's jni-src/ against
# the PyTorch that python3 imports on this machine, and writes it to OUT. run.sh calls it when no
# JNI for this machine's PyTorch exists yet (DJL's JNI must match libtorch's exact version).
#
#   bash .gpu/build-jni.sh OUT
#
# Needs g++ and the torch package's headers; for a CUDA build of torch also the CUDA runtime
# headers (CUDA_HOME, default /usr/local/cuda, or the nvidia-cuda-runtime wheel beside torch).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: build-jni.sh OUT" >&2; exit 2; }
out=$1
kit=$(cd "$(dirname "$0")" && pwd)
src=$kit/jni-src
[ -d "$src/native" ] || { echo "build-jni.sh: no $src/native; rebuild the kit with scripts/gpu/make-kit.sh" >&2; exit 2; }

read -r torch abi cuda < <(python3 -c '
import os, torch
print(os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI), 1 if torch.version.cuda else 0)')

flags=(-O2 -std=c++17 -fPIC -w "-D_GLIBCXX_USE_CXX11_ABI=$abi"
  "-I$src/native" "-I$src/include" "-I$src/jdk" "-I$src/jdk/linux"
  "-I$torch/include" "-I$torch/include/torch/csrc/api/include")
libs=("-L$torch/lib" -ltorch -ltorch_cpu -lc10)
if [ "$cuda" = 1 ]; then
  flags+=(-DUSE_CUDA "-I${CUDA_HOME:-/usr/local/cuda}/include")
  wheel_cuda=$(dirname "$torch")/nvidia/cuda_runtime/include # CUDA headers of pip's torch wheels
  [ -d "$wheel_cuda" ] && flags+=("-I$wheel_cuda")
  libs+=(-ltorch_cuda -lc10_cuda)
fi

objects=$(mktemp -d)
trap 'rm -rf "$objects"' EXIT
# one compiler per core; g++ -c without -o writes NAME.o into the current directory
(cd "$objects" && printf '%s\n' "$src"/native/*.cc | xargs -P "$(nproc)" -n 1 g++ "${flags[@]}" -c)
mkdir -p "$(dirname "$out")"
g++ -shared "$objects"/*.o "${libs[@]}" "-Wl,-rpath,$torch/lib" -o "$out.tmp"
strip --strip-unneeded "$out.tmp"
mv "$out.tmp" "$out"
echo "build-jni.sh: built $out against torch $(python3 -c 'import torch; print(torch.__version__)')" >&2
