#!/usr/bin/env bash
# Installs the official ONNX Runtime shared library into vecimg's per-user cache:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/vecimg/onnxruntime/<version>/libonnxruntime.so.1
# A quick no-op when it is already there. Sources, in order:
#   1. the npm client: `npm pack onnxruntime-node@<version>` (the official build, CUDA-enabled core)
#   2. an ONNX Runtime release tarball, when ORT_TARBALL=/path/to/onnxruntime-linux-x64-<version>.tgz is set
# Usage: scripts/install-ort.sh [--gpu]
#   --gpu also installs the CUDA execution provider (libonnxruntime_providers_{shared,cuda}.so, CUDA 13)
#         from npm com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 next to the core.
set -euo pipefail
version="${ORT_VERSION:-1.29.0}"
gpu_pkg="com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/vecimg/onnxruntime/$version"
want_gpu=0
[ "${1:-}" = "--gpu" ] && want_gpu=1

case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "install-ort: no ONNX Runtime build for $(uname -m); install it yourself and set ONNXRUNTIME_SHARED_LIBRARY_PATH" >&2; exit 1 ;;
esac

need_core=1; [ -s "$dest/libonnxruntime.so.1" ] && need_core=0
need_gpu=0; [ $want_gpu = 1 ] && [ ! -s "$dest/libonnxruntime_providers_cuda.so" ] && need_gpu=1
[ $need_core = 0 ] && [ $need_gpu = 0 ] && exit 0

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

if [ $need_core = 1 ]; then
  if [ -n "${ORT_TARBALL:-}" ]; then
    echo "install-ort: unpacking $ORT_TARBALL" >&2
    tar xzf "$ORT_TARBALL" -C "$work"
    lib=$(find "$work" -name 'libonnxruntime.so.1*' -type f | head -n1)
  else
    command -v npm >/dev/null || { echo "install-ort: npm not found; install Node.js/npm (apt-get install npm) or set ORT_TARBALL to an ONNX Runtime release tarball" >&2; exit 1; }
    echo "install-ort: fetching onnxruntime-node@$version with npm (~110 MB) ..." >&2
    (cd "$work" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
    tar xzf "$work/onnxruntime-node-$version.tgz" -C "$work" "package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
    lib="$work/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
  fi
  [ -s "${lib:-}" ] || { echo "install-ort: libonnxruntime.so.1 not found in the package" >&2; exit 1; }
  cp "$lib" "$dest/libonnxruntime.so.1.tmp" && mv "$dest/libonnxruntime.so.1.tmp" "$dest/libonnxruntime.so.1"
  echo "install-ort: ONNX Runtime $version in $dest" >&2
fi

if [ $need_gpu = 1 ]; then
  [ "$arch" = x64 ] || { echo "install-ort: the CUDA provider package is x64 only" >&2; exit 1; }
  echo "install-ort: fetching the CUDA provider ($gpu_pkg, ~100 MB) ..." >&2
  (cd "$work" && npm pack --silent "$gpu_pkg" >/dev/null)
  tar xzf "$work"/com.github.asus4.onnxruntime.linux-x64-gpu-*.tgz -C "$work"
  for f in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
    cp "$work/package/Plugins/Linux/x64/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
  done
  echo "install-ort: CUDA provider in $dest (needs CUDA 13: libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10, cuDNN 9 on the library path)" >&2
fi
