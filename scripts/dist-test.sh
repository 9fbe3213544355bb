#!/usr/bin/env bash
# Checks a `make dist` archive as a user without a toolchain meets it: it is
# unpacked under an empty HOME, with a PATH that has no go, gcc or npm, and
# ingest, similar and cluster run on the repository's test images with the
# small test weights. Usage: scripts/dist-test.sh vecimg-VERSION-linux-amd64.tar.gz
set -euo pipefail
archive=$(readlink -f "${1:?archive}")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/bin"
# Only the basic tools this script uses; no go, gcc, cc or npm.
for t in bash tar gzip mkdir cp ls cat grep env rm basename; do ln -s "$(command -v $t)" "$work/bin/$t"; done
export HOME="$work/home" PATH="$work/bin"
unset XDG_CACHE_HOME ONNXRUNTIME_SHARED_LIBRARY_PATH VECIMG_WEIGHTS GOPATH GOROOT
for t in go gcc cc npm; do
  if command -v "$t" >/dev/null; then echo "dist-test: $t is on PATH" >&2; exit 1; fi
done
cd "$work"
tar xzf "$archive"
vecimg=$(ls -d "$work"/vecimg-*-linux-amd64)/vecimg
cp -r "$repo/testdata/images" "$work/imgs"
cp "$repo/embed/vgg/testdata/vgg16_w32_zip.pth" "$work/w.pth"
"$vecimg" --version
"$vecimg" --db "$work/s.db" ingest --weights "$work/w.pth" "$work/imgs"
"$vecimg" --db "$work/s.db" similar 1 -k 2
"$vecimg" --db "$work/s.db" cluster --k 2
echo "dist-test: ok ($(basename "$archive"))"
