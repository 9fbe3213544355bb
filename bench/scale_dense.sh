#!/usr/bin/env bash
# Issue 19 benchmark: the index on tight groups, this build against the
# previous release's binary in the same run.
#
#   bench/scale_dense.sh [N]          # default N = 200000
#   ISO_N=100000 COLD_RUNS=20 bench/scale_dense.sh 200000
#
# Steps (each timed with /usr/bin/time -v: wall seconds, peak RSS; the
# 1-minute load average is recorded beside, since the machine may be shared):
#   1. builds this tree's vecimg ("new") and the previous release's
#      ($BASE_COMMIT, git archive into a temporary folder: "base");
#   2. bench/synth -kind dense: N vectors in tight groups (10-1000 members,
#      10th-neighbour cosine distance 0.002-0.005) and NQ held-out queries;
#      bench/scale_truth.py: their exact float32 top 10 (numpy);
#   3. `import` (index included) with base, then with new, each into its own
#      store: wall time and peak RSS (the base store is deleted afterwards);
#   4. the index build alone, base then new, on the same store (base's, which
#      both can read; index file removed before each; the first `similar`
#      builds it): wall time; the new build includes its ef tuning. base's
#      `similar --check` after its build; then new's build on its own store;
#   5. new: `similar --check --queries 200` (recall@10 against exact search,
#      vectors read per query), `info`;
#   6. cold `similar ID`, COLD_RUNS processes; cold `similar --exact ID`,
#      5 processes, and once without the index file (streams the store);
#      base's answer (streamed from its own store in step 4) must be the
#      same;
#   7. bench/synth/query: warm in-process latency (one thread) and recall@10
#      of the held-out queries at the default ef (the tuned one) and others;
#      exact search of 10 of them (recall must be 1);
#   8. ISO_N > 0: the isotropic mixture worst case: import with new (index
#      tuned), `similar --check`, held-out recall.
#   9. bench/scale_dense_report.py prints one markdown table
#      ($DIR/table-dense-N.md).
# Files go to $DIR (default .bench/scale-dense, git-ignored); KEEP=1 keeps
# the stores and the npz files. Needs ~3 × N × 16 KiB of disk.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

N=${1:-200000}
NQ=${NQ:-100}
SEED=${SEED:-1}
ISO_N=${ISO_N:-100000}
COLD_RUNS=${COLD_RUNS:-20}
BASE_COMMIT=${BASE_COMMIT:-418777a}
DIR=${DIR:-.bench/scale-dense}
KEEP=${KEEP:-0}
mkdir -p "$DIR"
run=$DIR/run-$N
mkdir -p "$run"
results=$run/results.jsonl
: >"$results"

. bench/timed.sh
. bench/store.sh
# jsonout STEP: copy the JSON lines of $run/STEP.out into results, tagged.
jsonout() {
	/usr/bin/python3 -c '
import json, sys
text = open(sys.argv[2]).read()
try:
    docs = [json.loads(text)]  # one (indented) document
except ValueError:
    docs = [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]
for d in docs:
    d["step"] = sys.argv[1]; print(json.dumps(d))' "$1" "$run/$1.out" >>"$results"
}

# ---- 1. binaries
log "build: new (this tree), base ($BASE_COMMIT), synth, query"
NEW=$DIR/vecimg-new
BASE=$(realpath -m "$DIR/vecimg-base")
go build -o "$NEW" .
go build -o "$DIR/synth" ./bench/synth
go build -o "$DIR/query" ./bench/synth/query
src=$(mktemp -d /tmp/vecimg-base.XXXXXX)
git archive "$BASE_COMMIT" | tar -x -C "$src"
(cd "$src" && go build -o "$BASE" .)
rm -rf "$src"
printf '{"step":"config","n":%d,"queries":%d,"iso_n":%d,"seed":%d,"commit":"%s","base":"%s","date":"%s","cpu":"%s","flags":"%s"}\n' \
	"$N" "$NQ" "$ISO_N" "$SEED" "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" "$BASE_COMMIT" "$(date -u +%FT%TZ)" \
	"$(nproc) × $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
	"$(grep -o -w -E 'avx2|avx512f|avx512_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')" >>"$results"

# ---- 2. data and truth
data() { # kind n prefix
	local kind=$1 n=$2 p=$DIR/$3-$2-s$SEED
	if [ ! -s "$p-base.npz" ]; then
		timed "synth-$3" "$DIR/synth" -kind "$kind" -n "$n" -queries "$NQ" -seed "$SEED" -q -out "$p-base.npz" -queries-out "$p-queries.npz"
	fi
	if [ ! -s "$p-truth.json" ]; then
		timed "truth-$3" /usr/bin/python3 bench/scale_truth.py "$p-base.npz" "$p-queries.npz" --out "$p-truth.json" --queries-f32 "$p-queries.f32"
	fi
}
data dense "$N" dense
dp=$DIR/dense-$N-s$SEED
mapfile -t ids < <(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("\n".join(r[0] for r in t["ids"]))' "$dp-truth.json")

# ---- 3. import, index included
for b in base new; do
	bin=$BASE
	[ "$b" = new ] && bin=$NEW
	rm_store "$run/$b.db"
	timed "import-$b" "$bin" --db "$run/$b.db" import --model-name synth-dense "$dp-base.npz"
done
db=$run/new.db
bdb=$run/base.db

# ---- 4. the build alone, same store: base's store, which both binaries
# read (a store this build writes has a newer schema than base reads; this
# build opens an older one read-only without upgrading it). Then this
# build's index on its own store for the steps below.
rm -f "$bdb".hnsw*
timed build-base "$BASE" --db "$bdb" similar "${ids[0]}"
timed check-base "$BASE" --db "$bdb" similar --check --queries 200 --json
jsonout check-base
# base's exact search streams its own store (it cannot read this build's
# schema); step 6 compares its answer with this build's.
ex_id=${ids[$((41 % ${#ids[@]}))]}
timed exact-base "$BASE" --db "$bdb" similar --exact "$ex_id"
rm -f "$bdb".hnsw*
timed build-new-same "$NEW" --db "$bdb" similar "${ids[0]}"
rm_store "$bdb"
rm -f "$db".hnsw*
timed build-new "$NEW" --db "$db" similar "${ids[0]}"
{ grep -h -E '^ef [0-9]+ gives' "$run/build-new.err" || true; } | tail -1 | /usr/bin/python3 -c 'import json,sys; print(json.dumps({"step":"tuning","line":sys.stdin.read().strip()}))' >>"$results"

# ---- 5. recall and reads
timed check-new "$NEW" --db "$db" similar --check --queries 200 --json
jsonout check-new
timed info-new "$NEW" --db "$db" info --json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({"step":"info-index", **(d.get("index") or {})}))' "$run/info-new.out" >>"$results"

# ---- 6. cold processes (the same stored image for every --exact run)
for i in $(seq 1 "$COLD_RUNS"); do
	timed "cold-$i" "$NEW" --db "$db" similar "${ids[$((i % ${#ids[@]}))]}"
done
for i in 1 2 3 4 5; do
	timed "exact-$i" "$NEW" --db "$db" similar --exact "$ex_id"
done
cp "$db".hnsw "$run/index-keep"
rm -f "$db".hnsw
timed exact-noindex "$NEW" --db "$db" similar --exact "$ex_id"
mv "$run/index-keep" "$db".hnsw
# the answer from the codes must be the streamed one (same query id):
# the rows (rank, id, distance), whatever lines each binary prints first
rows() { awk '$1 ~ /^[0-9]+$/ {print $2, $3}' "$1"; }
for f in exact-noindex exact-base; do
	if ! diff -q <(rows "$run/$f.out") <(rows "$run/exact-1.out") >/dev/null || [ -z "$(rows "$run/$f.out")" ]; then
		printf '{"step":"note","text":"exact from the codes differs from %s"}\n' "$f" >>"$results"
	fi
done

# ---- 7. warm, in-process
timed warm "$DIR/query" -db "$db" -queries "$dp-queries.f32" -truth "$dp-truth.json" -efs "${EFS:-0,32,64,128,256}" -rounds 3 -exact 10
jsonout warm

# ---- 8. isotropic worst case
if [ "$ISO_N" -gt 0 ]; then
	data iso "$ISO_N" iso
	ip=$DIR/iso-$ISO_N-s$SEED
	idb=$run/iso.db
	rm_store "$idb"
	timed iso-import "$NEW" --db "$idb" import --model-name synth-iso "$ip-base.npz"
	{ grep -h -E '^ef [0-9]+ gives' "$run/iso-import.err" || true; } | tail -1 | /usr/bin/python3 -c 'import json,sys; print(json.dumps({"step":"iso-tuning","line":sys.stdin.read().strip()}))' >>"$results"
	timed iso-check "$NEW" --db "$idb" similar --check --queries 200 --json
	jsonout iso-check
	timed iso-warm "$DIR/query" -db "$idb" -queries "$ip-queries.f32" -truth "$ip-truth.json" -efs 0 -rounds 2 -exact 5
	jsonout iso-warm
	[ "$KEEP" = 1 ] || rm_store "$idb"
fi

/usr/bin/python3 bench/scale_dense_report.py "$results" | tee "$DIR/table-dense-$N.md"
if [ "$KEEP" != 1 ]; then
	rm_store "$db"
	rm -f "$dp-base.npz" "$DIR/iso-$ISO_N-s$SEED-base.npz"
fi
