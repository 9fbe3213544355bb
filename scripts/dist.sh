#!/usr/bin/env bash
# make dist: writes vecimg-VERSION-linux-amd64.tar.gz, a release that needs
# no Go, gcc or npm: the vecimg binary, ONNX Runtime's core library beside it
# (the binary looks there first, after --ort-lib and
# $ONNXRUNTIME_SHARED_LIBRARY_PATH), the licences, and a short README.
# Usage: scripts/dist.sh VERSION COMMIT [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?version}"; commit="${2:-}"; outdir="${3:-.}"
ort_version=1.29.0
ort="${XDG_CACHE_HOME:-$HOME/.cache}/vecimg/onnxruntime/$ort_version/libonnxruntime.so.1"
[ -s "$ort" ] || { echo "dist: $ort missing: run make ort" >&2; exit 1; }
name="vecimg-$version-linux-amd64"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dir="$work/$name"
mkdir -p "$dir/licenses"
GOOS=linux GOARCH=amd64 go build -trimpath \
  -ldflags "-X github.com/vecimg/vecimg/cli.Version=$version -X github.com/vecimg/vecimg/cli.Commit=$commit" \
  -o "$dir/vecimg" .
cp "$ort" "$dir/libonnxruntime.so.1"
# The licences of the Go modules linked into the binary, as they ship them.
modcache=$(go env GOMODCACHE)
go version -m "$dir/vecimg" | awk '$1 == "dep" {print $2 "@" $3}' | while read -r mod; do
  src="$modcache/$(echo "$mod" | sed 's/[A-Z]/!\L&/g')"
  for f in "$src"/LICENSE* "$src"/LICENCE* "$src"/COPYING* "$src"/NOTICE*; do
    if [ -f "$f" ]; then cp "$f" "$dir/licenses/$(echo "${mod%@*}" | tr / _)-$(basename "$f")"; fi
  done
done
cat > "$dir/licenses/onnxruntime-LICENSE" <<'TXT'
ONNX Runtime (libonnxruntime.so.1, version 1.29.0) is distributed under the MIT License:

MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
TXT
cat > "$dir/README.txt" <<TXT
vecimg $version (linux, amd64): image feature vectors (VGG16 fc6), similarity
search and clustering in one binary. Nothing else to install: ONNX Runtime
$ort_version (libonnxruntime.so.1) is beside the binary, which loads it from there.

  ./vecimg ingest PHOTOS/ --weights vgg16-397923af.pth   # vectors into ./vecimg.db
  ./vecimg similar 123.jpg                               # nearest neighbours
  ./vecimg cluster --k 5 --export labels.csv             # k-means labels

Without --weights, ingest downloads the torchvision VGG16 weights (528 MB) once
into ~/.cache/vecimg. vecimg help, and vecimg COMMAND --help, say the rest.
Licences: licenses/ (vecimg's Go dependencies, ONNX Runtime).
TXT
mkdir -p "$outdir"
tar -C "$work" -czf "$outdir/$name.tar.gz" "$name"
echo "$outdir/$name.tar.gz"
