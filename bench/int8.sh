#!/usr/bin/env bash
# int8 against fp32 (and the reference recipe), full-size seeded VGG16, in one run:
#   quality, on every image of each set: `vecimg ingest` fp32 and `--precision int8`
#     (calibrated on the set's first 32 images, the default) into two stores; cosine of
#     each int8 vector to its fp32 vector (min, mean), top-10 neighbour overlap, and the
#     adjusted Rand index of k = 5 k-means labels (scikit-learn KMeans(5, random_state=42),
#     the recipe's clustering) of int8 against fp32;
#   speed, on the first SPEED images of the dev-set: ROUNDS rounds, each running fp32,
#     int8 and the recipe (../shared/ref/seed_pipeline.py, Debian's /usr/bin/python3 +
#     torch) one after the other, so that all three share the machine's load alike; img/s
#     is the median over rounds of each run's own figure (vecimg: ingest's
#     images_per_second; the recipe: its embedding loop), model loading excluded. The int8
#     and fp32 models of the quality stores are run with --model, so no round recalibrates.
#   the CPU's model name and int8-relevant flags.
#
#   bench/int8.sh [SET2_DIR]     env: SPEED (default 24), ROUNDS (default 3), RESUME=1
# RESUME=1 keeps the quality stores of an interrupted run: their ingests continue where
# they stopped (their img/s are not used), and the speed rounds always start afresh.
# SET2_DIR is a second folder of images (default .bench/int8/set2/test, made here with
# ../shared/ref/make_dataset.py from photos of Debian's python3-skimage, opencv-doc,
# python3-sklearn and python3-matplotlib that the dev-set does not use).
# Needs: make build (./vecimg), ONNX Runtime (make ort), apt-get install python3-torch
# python3-torchvision python3-opencv python3-pandas python3-sklearn (and, for the second
# set, python3-skimage opencv-doc python3-matplotlib).
# Takes about 15 minutes on 2 idle cores (full VGG16 at 448 is ~2 img/s in fp32 there).
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
ref=../shared/ref
dev=../shared/data/dev-set/test
work=.bench/int8; mkdir -p "$work"
speed=${SPEED:-24}; rounds=${ROUNDS:-3}
[ -x ./vecimg ] || make -s build
weights="$work/vgg16_w1.pth"
[ -s "$weights" ] || $py "$ref/make_vgg16_weights.py" --width 1 --bias-std 0.01 "$weights" >/dev/null
set2=${1:-$work/set2/test}
if [ ! -d "$set2" ]; then
  S=/usr/lib/python3/dist-packages/skimage/data H=/usr/share/doc/opencv-doc/opencv4/html
  $py "$ref/make_dataset.py" --per-source 20 --total 300 --seed 11 --out "$work/set2" --sources \
    $S/astronaut.png $S/chelsea.png $S/coffee.png $S/rocket.jpg $S/camera.png $S/brick.png \
    $S/motorcycle_right.png /usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg \
    /usr/lib/python3/dist-packages/sklearn/datasets/images/flower.jpg \
    /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg $H/sample.jpg \
    $H/HDRtoneMapping_memorialSample.jpg $H/HDRtoneMapping_candleSample.jpg \
    $H/studentsSample_input.jpg $H/julia_facedetect_sample.jpg >/dev/null
fi

echo "== CPU"
lscpu | grep -E '^(Model name|CPU\(s\)|Vendor ID):' | sed 's/  */ /g'
echo "int8 flags: $(grep -m1 -o -w -E 'avx2|avx512f|avx512bw|avx512_vnni|avx_vnni|amx_tile|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
grep -q -w amx_int8 /proc/cpuinfo || echo "no AMX-INT8 on this CPU: the AMX variant (convolutions through QGEMM) was not tried"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: absolute img/s are under that load; the ratios come from runs alternating in one period)"

# cachedModel DB: the cached ONNX file of the store's model (from its fingerprint).
cachedModel() {
  ./vecimg --db "$1" info --json | $py -c '
import json, os, sys
fp = json.load(sys.stdin)["model"].split(":")
sha, size, tok = fp[1].split("=")[1], fp[2].split("=")[1], fp[3]
base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
print(f"{base}/vecimg/models/vgg16-fc6-{sha}-s{size}-{tok}-b1.onnx")'
}

# fp32 for both sets first, then int8: the two runs of one set are minutes apart, never
# overlapping, and only their vectors are compared here (speed is measured below).
for p in fp32 int8; do
  for name in dev set2; do
    dir=$dev; [ $name = set2 ] && dir=$set2
    db="$work/$name-$p.db"; [ "${RESUME:-0}" = 1 ] || rm -rf "$db" "$db.hnsw"
    ./vecimg --db "$db" ingest -q --json --device cpu --weights "$weights" --precision $p "$dir" > "$work/$name-$p.json"
    ./vecimg --db "$db" export --out "$work/$name-$p.npz" >/dev/null
  done
done
for name in dev set2; do
  dir=$dev; [ $name = set2 ] && dir=$set2
  echo "== quality: $name ($(ls "$dir" | wc -l) images in $dir)"
  ./vecimg --db "$work/$name-int8.db" info | grep -E '^model' | head -2
  $py bench/int8/metrics.py "$work/$name-fp32.npz" "$work/$name-int8.npz"
done

echo "== speed: first $speed images of the dev-set, $rounds rounds of fp32, int8, recipe"
sub="$work/speed"; rm -rf "$sub"; mkdir -p "$sub"
for f in $(ls "$dev" | head -n "$speed"); do cp "$dev/$f" "$sub/"; done
sample="$work/speed.csv"
{ echo "ImageID,label"; for f in "$sub"/*.jpg; do basename "$f" .jpg | sed 's/$/,0/'; done; } > "$sample"
fp32_model=$(cachedModel "$work/dev-fp32.db"); int8_model=$(cachedModel "$work/dev-int8.db")
: > "$work/speed.txt"
for r in $(seq 1 "$rounds"); do
  for p in fp32 int8; do
    m=$fp32_model; [ $p = int8 ] && m=$int8_model
    db="$work/speed-$p.db"; rm -rf "$db" "$db.hnsw"
    ./vecimg --db "$db" ingest -q --json --device cpu --model "$m" "$sub" |
      $py -c "import json,sys; print('$p', json.load(sys.stdin)['images_per_second'])" >> "$work/speed.txt"
  done
  $py "$ref/seed_pipeline.py" --images "$sub" --sample "$sample" --weights "$weights" \
      --features-out "$work/speed-ref.npy" --csv-out "$work/speed-ref.csv" 2>&1 |
    sed -n 's/.*(\([0-9.]*\) img\/s).*/recipe \1/p' >> "$work/speed.txt"
done
./vecimg --db "$work/speed-fp32.db" export --out "$work/speed-fp32.npz" >/dev/null
$py - "$work/speed.txt" "$work/speed-fp32.npz" "$work/speed-ref.npy" "$sample" <<'PY'
import sys, statistics, numpy as np, pandas as pd
runs = {}
for line in open(sys.argv[1]):
    k, v = line.split(); runs.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in runs.items()}
for k in ("fp32", "int8", "recipe"):
    print(f"{k:7s} img/s median {med[k]:6.2f}   (rounds: {', '.join(f'{x:.2f}' for x in runs[k])})")
print(f"int8 / fp32 img/s: {med['int8']/med['fp32']:.2f}x   fp32 / recipe: {med['fp32']/med['recipe']:.2f}x   int8 / recipe: {med['int8']/med['recipe']:.2f}x   (ratio of medians)")
pair = [i / f for f, i in zip(runs["fp32"], runs["int8"])]
print(f"int8 / fp32 within each round: {', '.join(f'{x:.2f}' for x in pair)}; median {statistics.median(pair):.2f}x, lowest {min(pair):.2f}x")
ids = [str(i) for i in pd.read_csv(sys.argv[4]).ImageID]
d = np.load(sys.argv[2]); pos = {str(k): i for i, k in enumerate(d["ids"])}
v = d["vectors"][[pos[i] for i in ids]].astype(np.float64); r = np.load(sys.argv[3]).astype(np.float64)
cos = (v * r).sum(1) / (np.linalg.norm(v, axis=1) * np.linalg.norm(r, axis=1))
print(f"fp32 parity with the recipe on these {len(ids)} images: cosine min {cos.min():.6f}")
PY
