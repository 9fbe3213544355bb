#!/usr/bin/env bash
# Sharded ingest, simulated on one machine: 4 shard processes run in parallel over the
# dev-set, each into its own store, as 4 machines of a Kubernetes Indexed Job or a Slurm
# job array would (shards 0-1 take their index from JOB_COMPLETION_INDEX, shards 2-3 from
# SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, all through --shard auto). Shard 3 is
# interrupted after a few seconds and run again, to show that a re-run shard resumes. The 4
# stores are merged and the result is compared with a single-process ingest of the same
# folder: same ids, bit-identical vectors, and the same cluster labels for the same seed
# (the npz exports of both stores, after `vecimg cluster --k 5 --seed 42`, are compared
# byte for byte, and with numpy).
#
#   bench/shards.sh [IMAGES_DIR] [WIDTH]      defaults: ../shared/data/dev-set/test 8
# Needs: go, ONNX Runtime (make ort), python3-torch (for the seeded weights), python3-numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-../shared/data/dev-set/test}
width=${2:-8}
py=/usr/bin/python3
work=.bench/shards; rm -rf "$work"; mkdir -p "$work"
make -s build
weights="$work/vgg16_w$width.pth"
$py ../shared/ref/make_vgg16_weights.py --width "$width" --bias-std 0.01 "$weights" >/dev/null
n=$(find "$images" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.gif' \) | wc -l)
now() { date +%s.%N; }
echo "images: $n in $images; weights: VGG16 width $width; $(nproc) cores; 4 shards"
cat "$images"/* > /dev/null
# build and cache the model once, outside the timings
./vecimg --db "$work/warm.db" ingest -q --weights "$weights" --shard 0/1000 "$images" >/dev/null 2>&1 || true

t0=$(now)
./vecimg --db "$work/whole.db" ingest -q --json --weights "$weights" "$images" > "$work/whole.json"
t1=$(now)
echo "single process: $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"

# Shard 3 first runs alone for 3 s and is interrupted (SIGINT: it keeps its committed batches).
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4 timeout -s INT 3 \
  ./vecimg --db "$work/s3.db" ingest -q --json --batch 4 --weights "$weights" --shard auto "$images" \
  > "$work/s3-interrupted.json" 2> "$work/s3-interrupted.err" || true
kept=$(./vecimg --db "$work/s3.db" info --json 2>/dev/null | $py -c 'import json,sys; print(json.load(sys.stdin)["count"])' || echo 0)
echo "shard 3 interrupted after 3 s with $kept records committed"

t2=$(now)
pids=()
for i in 0 1; do
  JOB_COMPLETION_INDEX=$i ./vecimg --db "$work/s$i.db" ingest --json --threads 1 --weights "$weights" \
    --shard auto --shards 4 "$images" > "$work/s$i.json" 2> "$work/s$i.err" & pids+=($!)
done
for i in 2 3; do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=4 ./vecimg --db "$work/s$i.db" ingest --json --threads 1 \
    --weights "$weights" --shard auto "$images" > "$work/s$i.json" 2> "$work/s$i.err" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t3=$(now)
echo "4 shards in parallel: $(printf '%.1f' "$(echo "$t3 - $t2" | bc)") s (2 cores shared: a simulation, not a speed-up measurement)"
for i in 0 1 2 3; do
  $py - "$work/s$i.json" "$work/s$i.err" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
src = s.get("shard_source", "?")
print(f"  shard {s['shard']}: {s['total']} files, {s['stored']} embedded, {s['skipped_present']} already stored; {src}")
PY
done

t4=$(now)
./vecimg --db "$work/merged.db" merge --json "$work"/s{0,1,2,3}.db > "$work/merge.json"
t5=$(now)
$py - "$work/merge.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
per = ", ".join(str(i["records"]) for i in r["inputs"])
print(f"merge: {r['written']} written, {r['n_conflicts']} conflicts, {r['duplicates']} duplicates; records per shard: {per}")
PY
echo "merge: $(printf '%.2f' "$(echo "$t5 - $t4" | bc)") s"
# Running it again writes nothing (resumable and idempotent).
./vecimg --db "$work/merged.db" merge --json "$work"/s{0,1,2,3}.db > "$work/merge2.json"
$py - "$work/merge2.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["written"] == 0, r
print(f"merge run again: 0 written, {r['present']} already there")
PY

for db in whole merged; do
  ./vecimg --db "$work/$db.db" cluster --k 5 --seed 42 >/dev/null 2>&1
  ./vecimg --db "$work/$db.db" export --out "$work/$db.npz" >/dev/null
done
if cmp -s "$work/whole.npz" "$work/merged.npz"; then
  echo "npz exports (ids, vectors, labels) of single-process and merged stores: byte-identical"
else
  echo "npz exports DIFFER"
fi
$py - "$work/whole.npz" "$work/merged.npz" "$n" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
n = int(sys.argv[3])
ok_ids = (a["ids"] == b["ids"]).all() and len(a["ids"]) == n
ok_vec = a["vectors"].shape == b["vectors"].shape and (a["vectors"].view(np.uint32) == b["vectors"].view(np.uint32)).all()
ok_lab = (a["labels"] == b["labels"]).all()
print(f"ids: {len(a['ids'])} vs {len(b['ids'])} (of {n} files), same: {ok_ids}; vectors {a['vectors'].shape} bit-identical: {ok_vec}; "
      f"labels (k=5, seed 42) same: {ok_lab}, cluster sizes {np.bincount(a['labels']).tolist()}")
if not (ok_ids and ok_vec and ok_lab):
    print("SIMULATION CHECK FAILED"); sys.exit(1)
print("SIMULATION CHECK PASSED")
PY
