#!/usr/bin/env bash
# Makes cli/testdata/schema1-store.tar.gz: a store written by the previous
# release (commit eee37bb, store schema 1), for the upgrade tests in
# cli/upgrade_test.go and internal/app/upgrade_test.go (which has its own
# copy, internal/app/testdata/schema1-store.tar.gz, written here too). It
# builds that commit's vecimg from git, ingests the four images of
# testdata/images with the tiny VGG16 test weights and clusters them (k=2).
# Needs ONNX Runtime (make ort). OUT=FILE writes elsewhere (only there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-eee37bb}
out=${OUT:-$root/cli/testdata/schema1-store.tar.gz}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/imgs"
git -C "$root" archive "$rev" | tar -x -C "$work/src"
(cd "$work/src" && go build -o "$work/vecimg-prev" .)
cp "$root"/testdata/images/* "$work/imgs/"
cd "$work"
./vecimg-prev --db prev.db ingest -q --weights "$root/embed/vgg/testdata/vgg16_w32_zip.pth" imgs
./vecimg-prev --db prev.db cluster --k 2 >/dev/null
tar -czf "$out" prev.db prev.db.hnsw
echo "wrote $out (from $rev)"
if [ -z "${OUT:-}" ]; then
  cp "$out" "$root/internal/app/testdata/schema1-store.tar.gz"
  echo "wrote $root/internal/app/testdata/schema1-store.tar.gz (the same file)"
fi
