#!/usr/bin/env bash
# make demo: the main job on the images the repo ships (testdata/images), in a
# throw-away store. Weights come the normal way: --weights is not passed, so
# $VECIMG_WEIGHTS, the cache, or a download of vgg16-397923af.pth.
set -euo pipefail
bin=${1:-./vecimg}
db=${2:-.demo/vecimg.db}
images=testdata/images
rm -rf "$db"; mkdir -p "$(dirname "$db")"
export VECIMG_DB="$db"
step() { printf '\n$ %s\n' "$*"; "$@"; }
step "$bin" ingest "$images"
step "$bin" ingest "$images"          # again: nothing to do, everything is already stored
step "$bin" info
first=$(ls "$images" | head -n1)
step "$bin" similar -k 3 "$first"
step "$bin" cluster --k 2 --export "$(dirname "$db")/submission.csv"
step cat "$(dirname "$db")/submission.csv"
step "$bin" export --out "$(dirname "$db")/vectors.npz"
printf '\nThe store is %s; remove it with: rm -rf %s\n' "$db" "$(dirname "$db")"
printf '\nBrowse it in a web browser (clusters, neighbours, search with your own photo, a map, duplicates):\n'
printf '    %s --db %s serve\n' "$bin" "$db"
printf 'then open http://127.0.0.1:8080/ (Ctrl-C stops it). With --watch DIR it also ingests DIR and\n'
printf 'every image that appears there later.\n'
