#!/usr/bin/env bash
# Calibration of `vecimg dups`: builds the near-duplicate test set from the photos in
# Debian's opencv-doc and python3-skimage packages (127 originals x 18 images), embeds
# it with vecimg, and prints pair precision/recall tables for a sweep of the cosine
# distance D, per transformation, next to pHash and dHash (imagededup's method and
# default Hamming threshold 10) computed in the same run (bench/dups/calibrate.py).
#
#   bench/dups/run.sh [WIDTH] [PRESET]        defaults: 8 imagenet
#
# WIDTH is the make_vgg16_weights.py width of the seeded random VGG16 weights (1 = the
# real shapes, 8 = 8x narrower and much faster); set VECIMG_WEIGHTS=/path/vgg16-397923af.pth
# to use real ImageNet weights instead. PRESET is vecimg's --preset (blitz | imagenet).
# Extra flags for `calibrate.py eval` go in EVAL_FLAGS (e.g. --at 0.01,0.02); DUPS_THRESHOLD
# is passed to `vecimg dups --threshold` (default: the command's default), whose groups are
# scored too.
# Output: the tables on stdout; the work files under .bench/dups/.
# Needs: go, ONNX Runtime (make ort), Debian's /usr/bin/python3 with python3-pil,
#        python3-numpy, python3-scipy, python3-torch (apt-get install ...), and the
#        opencv-doc and python3-skimage packages for the photos.
set -euo pipefail
cd "$(dirname "$0")/../.."
width=${1:-8}
preset=${2:-imagenet}
py=/usr/bin/python3
work=.bench/dups
mkdir -p "$work"
bin="$work/vecimg"
go build -o "$bin" .
if [ ! -s "$work/set/truth.csv" ]; then
  $py bench/dups/calibrate.py make --out "$work/set"
fi
if [ -n "${VECIMG_WEIGHTS:-}" ]; then
  weights=$VECIMG_WEIGHTS; tag="real-$preset"
else
  weights="$work/vgg16_w$width.pth"; tag="w$width-$preset"
  [ -s "$weights" ] || $py ../shared/ref/make_vgg16_weights.py --width "$width" "$weights" >/dev/null
fi
db="$work/$tag.db"
rm -rf "$db" "$db.hnsw"
t0=$(date +%s.%N)
VECIMG_DB="$db" "$bin" ingest -q --preset "$preset" --weights "$weights" "$work/set/images"
t1=$(date +%s.%N)
VECIMG_DB="$db" "$bin" export --out "$work/$tag.npz" >/dev/null
dups=()
if VECIMG_DB="$db" "$bin" dups --help >/dev/null 2>&1; then
  t2=$(date +%s.%N)
  VECIMG_DB="$db" "$bin" dups --json ${DUPS_THRESHOLD:+--threshold "$DUPS_THRESHOLD"} > "$work/$tag.dups.json"
  t3=$(date +%s.%N)
  dups=(--dups "$work/$tag.dups.json")
fi
echo "weights: $weights; preset $preset; $(grep -c . "$work/set/truth.csv") lines of truth.csv;" \
     "ingest $(echo "$t1 - $t0" | bc) s${t3:+; vecimg dups $(echo "$t3 - $t2" | bc) s}"
echo
$py bench/dups/calibrate.py eval --dir "$work/set" --npz "$work/$tag.npz" "${dups[@]}" ${EVAL_FLAGS:-}
