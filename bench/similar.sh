#!/usr/bin/env bash
# Cold-process latency of `vecimg similar <id>.jpg` on a store of the dev-set:
# each query is a new process (store open, index load, search, print).
#   bench/similar.sh [IMAGES_DIR] [QUERIES]     defaults: ../shared/data/dev-set/test 25
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-../shared/data/dev-set/test}
nq=${2:-25}
work=.bench/similar; mkdir -p "$work"
[ -x ./vecimg ] || make -s build
weights="$work/vgg16_w8.pth"
[ -s "$weights" ] || /usr/bin/python3 ../shared/ref/make_vgg16_weights.py --width 8 "$weights" >/dev/null
db="$work/dev.db"
if [ ! -d "$db" ]; then
  VECIMG_DB="$db" ./vecimg ingest -q --weights "$weights" "$images"
fi
VECIMG_DB="$db" ./vecimg similar -k 10 "$(ls "$images" | head -n1)" > /dev/null   # index built and saved once
ls "$images" | shuf -n "$nq" --random-source=<(yes) > "$work/queries.txt"
: > "$work/times.txt"
while read -r q; do
  s=$(date +%s%N)
  VECIMG_DB="$db" ./vecimg similar -k 10 "$q" > /dev/null
  e=$(date +%s%N)
  echo $(( (e - s) / 1000000 )) >> "$work/times.txt"
done < "$work/queries.txt"
sort -n "$work/times.txt" | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "vecimg similar <id>.jpg, %d cold processes: min %d ms, median %g ms, max %d ms\n", NR, a[1], m, a[NR]}'
