#!/usr/bin/env bash
# Benchmark of `vecimg dups`: fused signals against vectors alone, pHash alone and dHash
# alone, per transformation, in one run, on a set built from the dev-set.
#
#   bench/dups/run.sh [N] [WEIGHTS] [PRESET]   defaults: 100, the seeded w32 fixture CI uses, blitz
#
# 1. bench/dups/makeset draws N photos from ../shared/data/dev-set/test (25 scenes of 12
#    near-identical shots) and writes each with 8 copies: JPEG q30, half size, 5-10% crop,
#    brightness +20% and -20%, gray, a text watermark, mirror (the transformations of
#    `dups --calibrate`, internal/dedup.Variant).
# 2. The originals alone are ingested and `dups --calibrate` (default sample 200, capped at
#    N) measures every signal on its own in-memory copies of them and picks the thresholds
#    (pair precision >= 0.99): its table is printed.
# 3. Originals, then copies, are ingested into a second store, and `dups --json` runs four
#    times with the calibrated thresholds: fused (all signals), vectors only, pHash only,
#    dHash only (each at the threshold calibration chose for it alone).
# 4. bench/dups/score rates each run's groups: pair precision, recall and F1, recall and
#    precision per transformation, chained members (must be 0), and pairs of two different
#    shots of one scene put in one group (left out of precision: they are near-identical).
# Work files under .bench/dups/. Needs go, ONNX Runtime (make ort) and python3 (stdlib json).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
weights=${2:-$PWD/embed/vgg/testdata/vgg16_w32_zip.pth}
preset=${3:-blitz}
work=.bench/dups
dev=../shared/data/dev-set
mkdir -p "$work"
bin="$work/vecimg"
go build -o "$bin" .
rm -rf "$work/set" "$work"/*.db "$work"/*.db.hnsw "$work"/run-*.json
go run ./bench/dups/makeset -src "$dev/test" -truth "$dev/truth.csv" -n "$n" -out "$work/set"
mkdir -p "$work/set/originals"
for f in "$work"/set/images/*__orig.*; do ln -f "$f" "$work/set/originals/"; done  # hard links: ingest skips symbolic links out of the folder
orig="$work/orig.db"; full="$work/full.db"
"$bin" --db "$orig" ingest -q --preset "$preset" --weights "$weights" "$work/set/originals"
echo "## dups --calibrate on the $n originals"
echo
t0=$(date +%s.%N)
"$bin" --db "$orig" dups --calibrate -q --sample "$((n < 200 ? n : 200))" --json > "$work/calibrate.json"
t1=$(date +%s.%N)
python3 - "$work/calibrate.json" "$work/args" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def words(t):
    w = []
    if t["vector"] >= 0: w.append(f"D ≤ {t['vector']:.4g}")
    if t["phash"] >= 0: w.append(f"pHash ≤ {t['phash']}")
    if t["dhash"] >= 0: w.append(f"dHash ≤ {t['dhash']}")
    return " or ".join(w) or "none reaches the precision"
def pr(s):
    return f"{s['recall']:.3f} / " + (f"{s['precision']:.3f}" if s["tp"] + s["fp"] else "-")
print(f"{r['sample']} originals x 8 copies in memory: {r['pairs']} pairs, {r['positives']} positive; pair precision floor {r['min_precision']}\n")
print("| signals | thresholds | precision | recall | F1 |")
print("|---|---|---:|---:|---:|")
for m in r["methods"]:
    a = m["all"]
    print(f"| {m['name']} | {words(m['thresholds'])} | {a['precision']:.3f} | {a['recall']:.3f} | {a['f1']:.3f} |")
print("\nRecall / precision per transformation:\n")
print("| transformation | " + " | ".join(m["name"] for m in r["methods"]) + " |")
print("|---|" + "---:|" * len(r["methods"]))
for i, t in enumerate(r["methods"][0]["per_transform"]):
    print(f"| {t['transform']} | " + " | ".join(pr(m["per_transform"][i]["score"]) for m in r["methods"]) + " |")
m = {x["name"]: x["thresholds"] for x in r["methods"]}
def args(t, only=None):
    sig = [s for s, on in (("vector", t["vector"] >= 0), ("phash", t["phash"] >= 0), ("dhash", t["dhash"] >= 0)) if on]
    a = ["--signals=" + ",".join(sig)]
    if t["vector"] >= 0: a.append(f"--threshold={max(t['vector'], 1e-9)}")
    a += [f"--phash={t['phash']}", f"--dhash={t['dhash']}"]
    return " ".join(a)
with open(sys.argv[2], "w") as f:
    for x in r["methods"]:
        if x["found"]:
            f.write(x["name"] + " " + args(x["thresholds"]) + "\n")
PY
echo
echo "(calibration: $(echo "$t1 - $t0" | bc) s, measured while the machine was shared)"
# The originals first, the copies later (as in a real collection, where the copies are
# the newer files): equal sizes then keep the original.
"$bin" --db "$full" ingest -q --preset "$preset" --weights "$weights" "$work/set/originals"
"$bin" --db "$full" ingest -q --preset "$preset" --weights "$weights" "$work/set/images"
while read -r name args; do
  # shellcheck disable=SC2086 # args is a list of flags
  "$bin" --db "$full" dups -q --json $args > "$work/run-$name.json"
done < "$work/args"
echo
echo "## dups on the $n originals and their $((n * 8)) copies (groups scored against the truth)"
echo
runs=()
for name in fused vectors pHash dHash; do [ -s "$work/run-$name.json" ] && runs+=("$work/run-$name.json"); done
go run ./bench/dups/score -truth "$work/set/truth.csv" "${runs[@]}"
echo
echo "(dups seconds per run: $(for r in "${runs[@]}"; do jq -r .seconds "$r"; done | tr '\n' ' '); lscpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, shared)"
