#!/usr/bin/env bash
# Side-by-side ingest benchmark and parity check, in one run on this machine:
#   the reference recipe (../shared/ref/seed_pipeline.py, Debian's /usr/bin/python3 + torch)
#   vs `vecimg ingest` on the same images with the same seeded VGG16 weights.
# Reports both wall times (whole processes, model load included), their ratio, and the
# cosine between vecimg's exported vectors and the recipe's features for every image.
#
#   bench/ingest.sh [IMAGES_DIR] [WIDTH]      defaults: ../shared/data/dev-set/test 8
# Needs: make build (./vecimg), python3-torch python3-torchvision python3-opencv
#        python3-pandas python3-sklearn (apt-get install ...).
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-../shared/data/dev-set/test}
width=${2:-8}
ref=../shared/ref
py=/usr/bin/python3
work=.bench/ingest; rm -rf "$work"; mkdir -p "$work"
[ -x ./vecimg ] || make -s build
weights="$work/vgg16_w$width.pth"
$py "$ref/make_vgg16_weights.py" --width "$width" --bias-std 0.01 "$weights" >/dev/null
# the recipe reads ids from a sample_submission.csv
sample="$work/sample.csv"
{ echo "ImageID,label"; for f in "$images"/*.jpg; do b=$(basename "$f" .jpg); echo "$b,0"; done; } > "$sample"
n=$(($(wc -l < "$sample") - 1))
now() { date +%s.%N; }

echo "images: $n from $images; weights: VGG16 width $width (bias std 0.01); $(nproc) cores"
# warm the page cache and build/cache vecimg's model once, outside the timings
cat "$images"/* > /dev/null
VECIMG_DB="$work/warm.db" ./vecimg ingest -q --weights "$weights" "$work" >/dev/null 2>&1 || true

t0=$(now)
$py "$ref/seed_pipeline.py" --images "$images" --sample "$sample" --weights "$weights" --width "$width" \
   --features-out "$work/ref_features.npy" --csv-out "$work/ref_submission.csv" 2> "$work/ref.log"
t1=$(now)
VECIMG_DB="$work/vecimg.db" ./vecimg ingest --json --weights "$weights" ${VECIMG_FLAGS:-} "$images" > "$work/vecimg.json"
t2=$(now)
VECIMG_DB="$work/vecimg.db" ./vecimg export --out "$work/vecimg.npz" >/dev/null

$py - "$t0" "$t1" "$t2" "$work" "$sample" <<'PY'
import sys, json, numpy as np, pandas as pd
t0, t1, t2 = map(float, sys.argv[1:4]); work, sample = sys.argv[4], sys.argv[5]
ref_s, vec_s = t1 - t0, t2 - t1
ids = [str(i) for i in pd.read_csv(sample).ImageID]
ref = np.load(f"{work}/ref_features.npy")
d = np.load(f"{work}/vecimg.npz")
pos = {str(k): i for i, k in enumerate(d["ids"])}
missing = [i for i in ids if i not in pos]
if missing:
    print("MISSING in vecimg:", missing[:10]); sys.exit(1)
v = d["vectors"][[pos[i] for i in ids]].astype(np.float64)
r = ref.astype(np.float64)
cos = (v * r).sum(1) / (np.linalg.norm(v, axis=1) * np.linalg.norm(r, axis=1))
rel = np.abs(v - r).max(1) / np.abs(r).max(1)
worst = np.argsort(cos)[:3]
print(f"reference (seed_pipeline.py, torch {__import__("torch").__version__}):           {ref_s:7.2f} s  ({len(ids)/ref_s:6.1f} img/s)")
print(f"vecimg ingest:                                        {vec_s:7.2f} s  ({len(ids)/vec_s:6.1f} img/s)")
print(f"ratio vecimg/reference: {vec_s/ref_s:.3f}")
print(f"parity over {len(ids)} images: cosine min {cos.min():.6f} mean {cos.mean():.6f}; max rel err min/median/max {rel.min():.2e}/{np.median(rel):.2e}/{rel.max():.2e}")
print("lowest cosine:", ", ".join(f"{ids[i]}={cos[i]:.6f}" for i in worst))
PY
