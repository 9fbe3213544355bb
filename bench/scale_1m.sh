#!/usr/bin/env bash
# Issue 19 at 1M: the fitted set, this build against the previous release's
# binary on the same store, then the query suite, dups and an import with
# the index.
#
#   bench/scale_1m.sh [N]              # default N = 1000000; DIR (default .bench/scale-1m)
#   STEPS=build-new,check,cold bench/scale_1m.sh    # some steps again on the kept store
#
# Steps (each under /usr/bin/time -v: wall, peak RSS, CPU seconds, and the
# 1-minute load average beside them, since the machine may be shared):
#   data      bench/synth N fitted vectors (+10,000 added, 200 held-out
#             queries) from $PARAMS (bench/fc6/extract.sh makes it);
#             bench/scale_truth.py: the queries' exact float32 top 10
#   import    the previous release ($BASE_COMMIT, git archive) imports them
#             without an index, so that both binaries can read the store
#             (this build opens an older store read-only without upgrading)
#   build-base, build-new   the index build alone with each binary on that
#             store (the index file removed before each; the first
#             `similar` builds it; the new build includes its ef tuning)
#   check     similar --check --queries 200 (recall@10, vectors read)
#   info      info --json (the tuned ef)
#   cold      20 cold `similar ID` processes (ids: true neighbours of the
#             held-out queries); exact: 5 cold `similar --exact ID`
#   warm      bench/synth/query: warm latency (one thread) and held-out
#             recall@10 at the default ef and at 128, 256, 384
#   dups      vecimg dups --json on the store (vectors only: imported)
#   importfull   this build's `import` with the index into a second store
#             (peak RSS of the whole import)
# Raw figures: $DIR/run/results.jsonl. Disk: the npz and two stores (~50 GB at 1M).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

N=${1:-1000000}
DIR=${DIR:-.bench/scale-1m}
PARAMS=${PARAMS:-.bench/scale/fc6-params.bin}
BASE_COMMIT=${BASE_COMMIT:-418777a}
STEPS=${STEPS:-data,import,build-base,build-new,check,info,cold,exact,warm,dups,importfull}
run=$DIR/run
mkdir -p "$run"
results=$run/results.jsonl
db=$run/store.db
want() { [[ ,$STEPS, == *,$1,* ]]; }
. bench/timed.sh
. bench/store.sh

NEW=$DIR/vecimg-new
BASE=$(realpath -m "$DIR/vecimg-base")
go build -o "$NEW" .
go build -o "$DIR/synth" ./bench/synth
go build -o "$DIR/query" ./bench/synth/query
if [ ! -x "$BASE" ]; then
	src=$(mktemp -d /tmp/vecimg-base.XXXXXX)
	git archive "$BASE_COMMIT" | tar -x -C "$src"
	(cd "$src" && go build -o "$BASE" .)
	rm -rf "$src"
fi
printf '{"step":"config","n":%d,"commit":"%s","base":"%s","date":"%s","cpu":"%s","flags":"%s"}\n' "$N" \
	"$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" "$BASE_COMMIT" "$(date -u +%FT%TZ)" \
	"$(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
	"$(grep -o -w -E 'avx2|avx512f|avx512_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')" >>"$results"

base=$DIR/base.npz
if want data; then
	if [ ! -s "$PARAMS" ]; then
		log "no generator parameters at $PARAMS: fitting them (bench/fc6/extract.sh)"
		OUT=$(dirname "$PARAMS") bench/fc6/extract.sh
	fi
	[ -s "$base" ] || timed synth "$DIR/synth" -params "$PARAMS" -n "$N" -add 10000 -queries 200 -seed 1 \
		-out "$base" -add-out "$DIR/add.npz" -queries-out "$DIR/q.npz"
	[ -s "$DIR/truth.json" ] || timed truth /usr/bin/python3 bench/scale_truth.py "$base" "$DIR/q.npz" --n "$N" \
		--out "$DIR/truth.json" --queries-f32 "$DIR/q.f32"
fi
mapfile -t ids < <(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("\n".join(r[0] for r in t["ids"][:40]))' "$DIR/truth.json")
if want import; then
	rm -rf "$db" "$db".hnsw*
	timed import-base "$BASE" --db "$db" import --model-name synth-fc6 --no-index -q "$base"
fi
for b in base new; do
	if want "build-$b"; then
		bin=$BASE
		[ "$b" = new ] && bin=$NEW
		rm -f "$db".hnsw*
		timed "build-$b" "$bin" --db "$db" similar "${ids[0]}"
	fi
done
{ grep -h -E '^ef [0-9]+ gives' "$run/build-new.err" 2>/dev/null || true; } | tail -1 >"$run/tuning.txt"
want check && timed check-new "$NEW" --db "$db" similar --check --queries 200 --json
want info && timed info-new "$NEW" --db "$db" info --json
if want cold; then
	for i in $(seq 1 20); do timed "cold-$i" "$NEW" --db "$db" similar "${ids[$((i % ${#ids[@]}))]}"; done
fi
if want exact; then
	for i in 1 2 3 4 5; do timed "exact-$i" "$NEW" --db "$db" similar --exact "${ids[$((i + 20))]}"; done
fi
want warm && timed warm "$DIR/query" -db "$db" -queries "$DIR/q.f32" -truth "$DIR/truth.json" -efs 0,128,256,384 -rounds 3 -exact 3
want dups && timed dups "$NEW" --db "$db" dups --json
if want importfull; then
	rm_store "$run/store2.db"
	timed import-new "$NEW" --db "$run/store2.db" import --model-name synth-fc6 "$base"
	rm_store "$run/store2.db"
fi
log "done: $results"
