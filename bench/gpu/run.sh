#!/usr/bin/env bash
# Runs on the GPU machine from the checkout root, after bench/gpu/prepare.sh and
# the bundle parts were sent (see prepare.sh). Writes its figures to $OUT/gpu.txt.
set -uo pipefail
c=.gpu-carry; res=${OUT:-/tmp}/gpu.txt; N=${N:-2000}; SUB=${SUB:-300}
log() { echo "$*" | tee -a "$res"; }
(cd /root/ortgpu && cat p? | xz -d | tar x) || { echo "bundle missing" >&2; exit 1; }
lib=$(find /root/ortgpu -name libonnxruntime.so.1 | head -n1)
export ONNXRUNTIME_SHARED_LIBRARY_PATH=$lib
export LD_LIBRARY_PATH=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/*/lib 2>/dev/null | paste -sd:):/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
log "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
python3 $c/ref/make_vgg16_weights.py --width 1 /tmp/w1.pth > /dev/null
python3 $c/make_images.py $c/photos /tmp/imgs $N
mkdir -p /tmp/sub; ls /tmp/imgs | head -n $SUB | while read f; do ln -sf /tmp/imgs/$f /tmp/sub/$f; done
{ echo ImageID,label; ls /tmp/sub | sed 's/\.jpg$/,0/'; } > /tmp/sub.csv
util() { nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 250 > /tmp/util_$1.txt & echo $!; }
for prec in fp32 fp16; do
  # warm-up: builds and caches the model, runs the cuDNN algorithm search once
  VECIMG_DB=/tmp/warm_$prec.db ./$c/vecimg ingest -q --device cuda --precision $prec --weights /tmp/w1.pth /tmp/sub > /dev/null
  for b in 32 64 128; do
    rm -rf /tmp/$prec.db /tmp/$prec.db.hnsw
    u=$(util ${prec}_$b); s=$(date +%s.%N)
    VECIMG_DB=/tmp/$prec.db ./$c/vecimg ingest --json --device cuda --precision $prec --batch $b --workers 16 --weights /tmp/w1.pth /tmp/imgs > /tmp/${prec}_$b.json
    e=$(date +%s.%N); kill $u
    log "vecimg $prec batch $b: $N images in $(echo "$e - $s" | bc) s wall = $(echo "$N / ($e - $s)" | bc -l | cut -c1-7) img/s end to end; GPU util mean $(awk '{s+=$1} END {printf "%.0f", s/NR}' /tmp/util_${prec}_$b.txt)%"
  done
done
VECIMG_DB=/tmp/gpu_sub.db ./$c/vecimg ingest -q --device cuda --weights /tmp/w1.pth /tmp/sub && VECIMG_DB=/tmp/gpu_sub.db ./$c/vecimg export --out /tmp/gpu.npz > /dev/null
VECIMG_DB=/tmp/cpu_sub.db ./$c/vecimg ingest -q --device cpu --weights /tmp/w1.pth /tmp/sub && VECIMG_DB=/tmp/cpu_sub.db ./$c/vecimg export --out /tmp/cpu.npz > /dev/null
VECIMG_DB=/tmp/f16_sub.db ./$c/vecimg ingest -q --device cuda --precision fp16 --weights /tmp/w1.pth /tmp/sub && VECIMG_DB=/tmp/f16_sub.db ./$c/vecimg export --out /tmp/f16.npz > /dev/null
s=$(date +%s.%N)
python3 $c/ref/seed_pipeline.py --images /tmp/sub --sample /tmp/sub.csv --weights /tmp/w1.pth --width 1 --features-out /tmp/ref.npy --csv-out /tmp/ref.csv 2>&1 | grep embedded | tee -a "$res"
e=$(date +%s.%N)
log "recipe (seed_pipeline.py, whole process) on $SUB images: $(echo "$e - $s" | bc) s"
python3 - <<'PY' | tee -a "$res"
import numpy as np
def load(p):
    d = np.load(p); return {str(k): v for k, v in zip(d["ids"], d["vectors"])}
g, c, h = load("/tmp/gpu.npz"), load("/tmp/cpu.npz"), load("/tmp/f16.npz")
r = np.load("/tmp/ref.npy"); ids = sorted(g, key=int)
ref_ids = [l.split(",")[0] for l in open("/tmp/sub.csv").read().split()[1:]]
def cos(a, b): return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
for name, vecs in (("GPU fp32 vs CPU fp32", g), ("GPU fp16 vs CPU fp32", h)):
    cs = [cos(vecs[i], c[i]) for i in ids]
    print(f"{name}: cosine min {min(cs):.6f} mean {np.mean(cs):.6f}")
cs = [cos(g[i], r[k]) for k, i in enumerate(ref_ids)]
print(f"GPU fp32 vs the recipe (PyTorch GPU): cosine min {min(cs):.6f} mean {np.mean(cs):.6f}")
PY
