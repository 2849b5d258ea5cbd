#!/usr/bin/env bash
# Builds .gpu/, the offline GPU kit (docs/gpu.md): what a GPU machine without network access needs
# to run this checkout's jar on the PyTorch installed there for python3.
#
#   scripts/gpu/make-kit.sh [--data N]        from the project root, on a machine with JDK 17,
#                                             Maven and access to Maven Central and github.com
#
# .gpu/ then holds: a small Java runtime (jlink), the jar and its libraries without PyTorch's CPU
# library, DJL's JNI sources (C++ from DJL's source release on GitHub; the JNI header generated
# from DJL's Java sources on Maven Central; jni.h from this JDK), run.sh and build-jni.sh, the
# PyTorch peer torch_peer.py and, with --data N, a Fashion-MNIST subset of N training images and
# the 10,000 test images (--dataset idx:.gpu/data). Copy .gpu/ into the GPU machine's checkout.
#
# Environment: DJL_SOURCES=PATH takes DJL's sources from a release archive (.tar.gz) or an
# unpacked DJL checkout of the same version instead of downloading them; KIT_MODULES adds Java
# modules to the runtime (java.desktop reads PNG and JPEG for predict, +17 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
die() { echo "make-kit.sh: $*" >&2; exit 2; }

data=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=${2:-}; shift 2 || die "--data needs a number of training images" ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'; see --help" ;;
  esac
done
case "$data" in ''|*[!0-9]*) die "--data takes a whole number of training images, got '$data'" ;; esac

# the jar and its runtime libraries (./vimoe builds them when missing or older than the sources)
./vimoe --version > /dev/null
djl=$(ls target/lib | sed -n 's/^api-\([0-9.]*\)\.jar$/\1/p')
[ -n "$djl" ] || die "no DJL api jar in target/lib; run 'mvn -B package -DskipTests' first"
javac_bin=$(readlink -f "$(command -v javac)") || die "javac not found; a JDK 17 is needed"
jdk_include=$(dirname "$(dirname "$javac_bin")")/include
[ -f "$jdk_include/jni.h" ] || die "no jni.h under $jdk_include; install a full JDK 17"

work=$(mktemp -d)
kit=$root/.gpu.new # built aside and renamed into place, so a failed run leaves no half kit
trap 'rm -rf "$work" "$kit"' EXIT
rm -rf "$kit"
mkdir -p "$kit/lib" "$kit/jni" "$kit/jni-src/native" "$kit/jni-src/include" "$kit/jni-src/jdk"

cp target/vimoe.jar "$kit/"
for jar in target/lib/*.jar; do
  case "$(basename "$jar")" in
    pytorch-native-*|pytorch-jni-*) ;; # the GPU machine brings its own libtorch; the JNI is built there
    *) cp "$jar" "$kit/lib/" ;;
  esac
done
echo "$djl" > "$kit/djl.version"

# DJL's C++ JNI sources, as published in DJL's source release of this version
if [ -n "${DJL_SOURCES:-}" ]; then
  if [ -d "$DJL_SOURCES" ]; then
    cp -r "$DJL_SOURCES/." "$work/djl"
  else
    mkdir -p "$work/djl" && tar xzf "$DJL_SOURCES" -C "$work/djl"
  fi
else
  url=https://github.com/deepjavalibrary/djl/archive/refs/tags/v$djl.tar.gz
  echo "make-kit.sh: downloading DJL $djl's sources from $url" >&2
  mkdir -p "$work/djl"
  curl -fsSL "$url" | tar xz -C "$work/djl" --wildcards \
    '*/engines/pytorch/pytorch-native/src/main/native/*' '*/api/src/main/native/*' \
    || die "could not download $url; download it elsewhere and pass it as DJL_SOURCES=FILE"
fi
native=$(find "$work/djl" -type d -path '*/engines/pytorch/pytorch-native/src/main/native' | head -1)
api_native=$(find "$work/djl" -type d -path '*/api/src/main/native' | head -1)
[ -n "$native" ] && [ -n "$api_native" ] \
  || die "DJL's sources lack engines/pytorch/pytorch-native/src/main/native or api/src/main/native"
cp "$native"/*.cc "$native"/*.h "$kit/jni-src/native/"
cp -r "$api_native/." "$kit/jni-src/include/"

# the JNI header, generated from DJL's Java sources as published on Maven Central
mvn -B -q dependency:copy -Dartifact="ai.djl.pytorch:pytorch-engine:$djl:jar:sources" \
  -DoutputDirectory="$work" > "$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; die "could not fetch pytorch-engine $djl sources from Maven Central"; }
unzip -q "$work/pytorch-engine-$djl-sources.jar" 'ai/djl/pytorch/jni/PyTorchLibrary.java' -d "$work/java"
javac -h "$kit/jni-src/include" -d "$work/classes" -cp "target/lib/*" \
  "$work/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
cp "$jdk_include/jni.h" "$kit/jni-src/jdk/"
cp -r "$jdk_include/linux" "$kit/jni-src/jdk/"

jlink --add-modules "${KIT_MODULES:-java.base,java.logging,java.management,jdk.unsupported}" \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$kit/jre"
cp "$here/run.sh" "$here/build-jni.sh" "$here/torch_peer.py" "$kit/"

if [ "$data" -gt 0 ]; then
  python3 "$here/fashion_subset.py" "$data" "$kit/data"
fi

rm -rf "$root/.gpu"
mv "$kit" "$root/.gpu"
echo "make-kit.sh: .gpu/ is $(du -sh "$root/.gpu" | cut -f1); copy it into the GPU machine's checkout" \
  "and run 'bash .gpu/run.sh COMMAND ...' there$([ "$data" -gt 0 ] && echo " (data: --dataset idx:.gpu/data)")" >&2
