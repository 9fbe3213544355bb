#!/usr/bin/env bash
# Scale benchmark (issue 10): N seeded vectors shaped like real VGG16 fc6
# features, through the released CLI, with hnswlib and faiss on the same
# vectors in the same run.
#
#   bench/scale.sh [N]                  # default N = 1000000
#   ANCHOR_N=100000 FAISS_N=20000 ISO_N=100000 bench/scale.sh 1000000
#
# Steps (each timed with /usr/bin/time -v: wall seconds and peak RSS):
#   1. bench/synth writes N base vectors, ADD_N (10000) more for the
#      incremental step and 200 held-out queries (not in the store) as .npz,
#      from the parameters bench/fc6/fit.py fitted to real fc6 vectors
#      ($PARAMS; made by bench/fc6/extract.sh when missing, ~15 min);
#   2. bench/scale_truth.py: exact float32 cosine top-10 of the queries
#      (against N, ANCHOR_N and FAISS_N prefixes);
#   3. vecimg import --no-index; the index build (vecimg index when that
#      command exists, else the first vecimg similar, which builds it);
#      index file size;
#   4. cold `vecimg similar ID`, 20 processes (median wall, max peak RSS);
#   5. bench/synth/query: warm in-process latency (one thread) and recall@10
#      of the held-out queries at the default settings and other ef;
#      vecimg similar --exact (cold process);
#   6. vecimg import of the ADD_N vectors, then the index update;
#   7. vecimg cluster --k 100; vecimg export (file deleted afterwards);
#   8. anchors: hnswlib (M=16, ef_construction=200, float32, 2 threads) on the
#      first ANCHOR_N vectors, faiss IndexHNSWSQ 8-bit on the first FAISS_N
#      (Debian's generic faiss build: no AVX2);
#   9. ISO_N > 0: the isotropic Gaussian mixture worst case (import, build,
#      recall, warm latency) at ISO_N;
#  10. bench/scale_report.py prints one markdown table (also $DIR/table-N.md).
# A step whose vecimg command does not exist yet is skipped with a note.
# Files go to $DIR (default .bench/scale, git-ignored); KEEP=1 keeps the
# store and the npz files. Needs ~2.2 × N × 16 KiB of disk (36 GB at 1M).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

N=${1:-1000000}
ADD_N=${ADD_N:-10000}
NQ=${NQ:-200}
SEED=${SEED:-1}
ANCHOR_N=${ANCHOR_N:-$((N < 100000 ? N : 100000))}
FAISS_N=${FAISS_N:-$((N < 20000 ? N : 20000))}
ISO_N=${ISO_N:-$((N < 100000 ? N : 100000))}
THREADS=${THREADS:-2}
DIR=${DIR:-.bench/scale}
PARAMS=${PARAMS:-$DIR/fc6-params.bin}
KEEP=${KEEP:-0}
COLD_RUNS=${COLD_RUNS:-20}
REUSE_STORE=${REUSE_STORE:-0} # 1: keep $run_dir/store.db from an earlier run's import (its vectors must be the N base vectors); rebuild only its index
STEPS=${STEPS:-all}   # comma list to run only some: gen,truth,import,build,cold,warm,exact,add,cluster,export,anchors,iso

mkdir -p "$DIR"
run_dir=$DIR/run-$N
mkdir -p "$run_dir"
results=$run_dir/results.jsonl
: >"$results"
# Peak RSS from /usr/bin/time counts the file pages a process maps (the store's
# and the index's mmapped files) as well as its own memory; a sampler records,
# every second, each benchmark process's largest RssAnon (its own memory) and
# RssFile beside it ($run_dir/rss-samples.txt, one line per process at its end).
rss_sampler() {
	local out=$1 d p c a f r args
	declare -A maxa maxf maxr cmd
	while true; do
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			mapfile -d '' -t args <"$d/cmdline" 2>/dev/null || continue
			c="${args[*]}"
			case "$c" in *"$DIR/"*) ;; *) continue ;; esac
			case "$c" in "/usr/bin/time "*|bash*) continue ;; esac
			read -r a f r < <(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} /^VmRSS/ {r=$2} END {print a+0, f+0, r+0}' "$d/status" 2>/dev/null) || continue
			c=${c//[$'\n\t\r\\"']/ }
			cmd[$p]=${c:0:200}
			[ "$a" -gt "${maxa[$p]:-0}" ] && maxa[$p]=$a
			[ "$f" -gt "${maxf[$p]:-0}" ] && maxf[$p]=$f
			[ "$r" -gt "${maxr[$p]:-0}" ] && maxr[$p]=$r
		done
		for p in "${!cmd[@]}"; do
			if [ ! -d "/proc/$p" ]; then
				printf '{"step":"rss-sample","pid":%s,"max_rss_mib":%d,"max_anon_mib":%d,"max_file_mib":%d,"cmd":"%s"}\n' "$p" \
					$((maxr[$p] / 1024)) $((maxa[$p] / 1024)) $((maxf[$p] / 1024)) "${cmd[$p]}" >>"$out"
				unset "cmd[$p]" "maxa[$p]" "maxf[$p]" "maxr[$p]"
			fi
		done
		sleep 1
	done 2>/dev/null
}
. bench/store.sh
log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }
want() { [[ $STEPS == all || ,$STEPS, == *,$1,* ]]; }
note() { printf '{"step":"note","text":%s}\n' "$(printf '%s' "$*" | /usr/bin/python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))')" >>"$results"; log "NOTE: $*"; }

# timed STEP CMD...: runs CMD under /usr/bin/time -v, appends
# {"step", "wall_s", "rss_mib", "rc"} to results; stdout to $run_dir/STEP.out.
timed() {
	local step=$1
	shift
	log "$step: $*"
	local rc t0 t1 waited=0
	while true; do
		rc=0
		t0=$(date +%s%N)
		/usr/bin/time -v -o "$run_dir/$step.time" "$@" >"$run_dir/$step.out" 2>"$run_dir/$step.err" || rc=$?
		t1=$(date +%s%N)
		# exit 4: the store is held by another vecimg process; wait for it (BUSY_WAIT seconds at most)
		if [ "$rc" -eq 4 ] && grep -q "in use by another" "$run_dir/$step.err" && [ "$waited" -lt "${BUSY_WAIT:-1800}" ]; then
			[ "$waited" -eq 0 ] && log "$step: store busy (another vecimg process holds it); retrying every 30 s"
			sleep 30
			waited=$((waited + 30))
			continue
		fi
		break
	done
	tr '\r' '\n' <"$run_dir/$step.err" | grep -v '^\s*$' | tail -n 2 >&2 || true
	local wall rss
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b-a)/1e9}')
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$run_dir/$step.time")
	cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$run_dir/$step.time")
	# load: the 1-minute load average at the end (the machine may be shared)
	printf '{"step":"%s","wall_s":%s,"rss_mib":%s,"cpu_s":%s,"load":%s,"rc":%d}\n' "$step" "${wall:-null}" "${rss:-null}" "${cpu:-null}" "$(cut -d' ' -f1 /proc/loadavg)" "$rc" >>"$results"
	if [ "$rc" -ne 0 ]; then
		echo "scale.sh: step $step failed (exit $rc); see $run_dir/$step.err" >&2
		return "$rc"
	fi
}
# jsonlines STEP FILE: copy the JSON lines of FILE into results, tagged.
jsonlines() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[2]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line); d["step"] = sys.argv[1]; print(json.dumps(d))' "$1" "$2" >>"$results"
}
has() { "$VECIMG" "$1" --help >/dev/null 2>&1; }

rss_sampler "$run_dir/rss-samples.jsonl" &
sampler_pid=$!
trap 'kill "$sampler_pid" 2>/dev/null || true' EXIT

log "build: vecimg, bench/synth, bench/synth/query"
VECIMG=$DIR/vecimg
go build -o "$VECIMG" .
go build -o "$DIR/synth" ./bench/synth
go build -o "$DIR/query" ./bench/synth/query 2>"$run_dir/query-build.err" || note "bench/synth/query does not build (index/app mid-change?): warm latency and recall skipped; $(head -c 300 "$run_dir/query-build.err")"
printf '{"step":"config","n":%d,"add_n":%d,"queries":%d,"seed":%d,"anchor_n":%d,"faiss_n":%d,"iso_n":%d,"threads":%d,"commit":"%s","date":"%s","cpu":"%s"}\n' \
	"$N" "$ADD_N" "$NQ" "$SEED" "$ANCHOR_N" "$FAISS_N" "$ISO_N" "$THREADS" "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
	"$(date -u +%FT%TZ)" "$(nproc) × $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" >>"$results"

if [ ! -s "$PARAMS" ]; then
	log "no generator parameters at $PARAMS: fitting them to real fc6 vectors (bench/fc6/extract.sh)"
	OUT=$DIR bench/fc6/extract.sh
fi
/usr/bin/python3 -c 'import json,sys; h=json.loads(open(sys.argv[1],"rb").readline()); print(json.dumps({"step":"params","file":sys.argv[1],**h["real"],"group_size":h["group_size"],"centre_rank":h["centre_rank"],"member_rank":h["member_rank"]}))' "$PARAMS" >>"$results"

# ---- 1. data
base=$DIR/base-$N-s$SEED.npz
addf=$DIR/add-$N-s$SEED.npz
qf=$DIR/queries-$N-s$SEED.npz
if [ "$REUSE_STORE" = 1 ] && [ -d "$run_dir/store.db" ] && [ -s "$DIR/truth-$N-s$SEED-$N.json" ] && [ -s "$addf" ] && [ -s "$qf" ]; then
	log "REUSE_STORE=1: reusing $run_dir/store.db, its truth and query files; no base vectors generated"
else
	{
		free_kb=$(df -k --output=avail "$DIR" | tail -1)
		need_kb=$(((N + ADD_N) * 17))
		if [ "$free_kb" -lt $((need_kb * 2)) ]; then
			echo "scale.sh: $DIR has $((free_kb / 1048576)) GiB free; the npz and the store need about $((need_kb * 2 / 1048576)) GiB" >&2
			exit 1
		fi
		timed synth "$DIR/synth" -params "$PARAMS" -n "$N" -add "$ADD_N" -queries "$NQ" -seed "$SEED" \
			-out "$base" -add-out "$addf" -queries-out "$qf"
	}
fi

# ---- 2. ground truth
truth() { # N → truth file
	local t=$DIR/truth-$N-s$SEED-$1.json
	if [ ! -s "$t" ]; then
		timed "truth-$1" /usr/bin/python3 bench/scale_truth.py "$base" "$qf" --n "$1" --out "$t" --queries-f32 "$DIR/queries-$N-s$SEED.f32"
	fi
	echo "$t"
}
truth_n=$(truth "$N")
qf32=$DIR/queries-$N-s$SEED.f32

# The anchors read a prefix file when they use fewer than N vectors, so that
# the big base file can go before the export when disk is short.
anchor_base() { # n → npz holding at least the first n base vectors
	if [ "$1" -ge "$N" ]; then
		echo "$base"
		return
	fi
	local f=$DIR/base-$N-s$SEED-first-$1.npz
	if [ ! -s "$f" ]; then
		/usr/bin/python3 -c '
import sys, numpy as np; sys.path.insert(0, "bench")
from scale_common import npz_member
n = int(sys.argv[3]); ids, v = npz_member(sys.argv[1], "ids"), npz_member(sys.argv[1], "vectors")
np.savez(sys.argv[2] + ".tmp.npz", ids=np.asarray(ids[:n]), vectors=np.asarray(v[:n]))' "$base" "$f" "$1"
		mv "$f.tmp.npz" "$f"
	fi
	echo "$f"
}
if want anchors; then
	for n in "$ANCHOR_N" "$FAISS_N"; do
		if [ "$n" -gt 0 ]; then
			truth "$n" >/dev/null
			anchor_base "$n" >/dev/null
		fi
	done
fi

# ---- 3. import and index build
db=$run_dir/store.db
if [ "$REUSE_STORE" = 1 ] && [ -d "$db" ]; then
	# Stored ids to query: the true neighbours of the held-out queries.
	first_id=$(/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("\n".join(r[0] for r in t["ids"][:40]))' "$truth_n")
	rm -f "$db".hnsw*
	note "REUSE_STORE=1: the store imported by an earlier run was kept (its import figures are in that run); the index is built from scratch"
else
	rm_store "$db"
	first_id=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0,"bench"); from scale_common import npz_member; ids=npz_member(sys.argv[1],"ids"); print("\n".join(str(ids[i]) for i in range(0, len(ids), max(1, len(ids)//97))[:40]))' "$base")
fi
mapfile -t ids <<<"$first_id"
index_ok=0
if ! want import && [ "$REUSE_STORE" != 1 ]; then
	:
elif has import; then
	[ "$REUSE_STORE" = 1 ] || timed import "$VECIMG" --db "$db" import --model-name synth-fc6 --no-index -q "$base"
	free_kb=$(df -k --output=avail "$DIR" | tail -1)
	if [ "$free_kb" -lt $((N * 40)) ] && [ "$KEEP" != 1 ] && [ "$ANCHOR_N" -lt "$N" ] && [ "$FAISS_N" -lt "$N" ]; then
		log "disk: $((free_kb / 1048576)) GiB free; removing $base now (truth and anchor prefixes are made; the next run regenerates it)"
		rm -f "$base"
	fi
	if has index; then
		timed build "$VECIMG" --db "$db" index
	else
		timed build "$VECIMG" --db "$db" similar "${ids[0]}"
	fi
	index_ok=1
	bytes=$(du -cb "$db".hnsw* 2>/dev/null | tail -1 | cut -f1)
	storeb=$(du -sb "$db" | cut -f1)
	printf '{"step":"files","index_bytes":%s,"store_bytes":%s,"n":%d}\n' "${bytes:-0}" "$storeb" "$N" >>"$results"
	ls -la "$db".hnsw* >"$run_dir/index-files.txt" 2>&1 || true
else
	note "vecimg import does not exist yet: import, build, queries, add, cluster and export skipped"
fi

# ---- 4. cold CLI queries
if [ "$index_ok" = 1 ] && want cold; then
	for i in $(seq 1 "$COLD_RUNS"); do
		id=${ids[$((i % ${#ids[@]}))]}
		timed "cold-$i" "$VECIMG" --db "$db" similar "$id"
	done
fi

# ---- 5. warm in-process queries and recall; exact
if [ "$index_ok" = 1 ] && [ -x "$DIR/query" ] && want warm; then
	timed warm "$DIR/query" -db "$db" -queries "$qf32" -truth "$truth_n" -efs "${EFS:-0,16,32,64,128}" -rounds 3 -exact "${EXACT_Q:-$((N > 100000 ? 3 : 20))}"
	jsonlines warm "$run_dir/warm.out"
fi
if [ "$index_ok" = 1 ] && want exact; then
	timed exact "$VECIMG" --db "$db" similar --exact "${ids[1]}"
fi

# ---- 6. add ADD_N vectors to the built index
if [ "$index_ok" = 1 ] && [ "$ADD_N" -gt 0 ] && want add; then
	timed add-import "$VECIMG" --db "$db" import --model-name synth-fc6 --no-index -q "$addf"
	if has index; then
		timed add-index "$VECIMG" --db "$db" index
	else
		timed add-index "$VECIMG" --db "$db" similar "${ids[2]}"
	fi
	grep -h -i -E 'index|rebuil|updat' "$run_dir/add-index.err" | tail -5 >"$run_dir/add-index.notes" || true
fi

# ---- 7. cluster and export
if [ "$index_ok" = 1 ] && has cluster && want cluster; then
	timed cluster "$VECIMG" --db "$db" cluster --k 100
fi
if [ "$index_ok" = 1 ] && has export && want export; then
	free_kb=$(df -k --output=avail "$DIR" | tail -1)
	if [ "$free_kb" -lt $((N * 20)) ] && [ "$KEEP" != 1 ]; then
		log "disk: $((free_kb / 1048576)) GiB free; removing $base (regenerated by the next run) before the export"
		rm -f "$base"
	fi
	timed export "$VECIMG" --db "$db" export --out "$run_dir/export.npz"
	rm -f "$run_dir/export.npz"
fi
if [ "$KEEP" != 1 ]; then
	rm_store "$db"
fi

# ---- 8. anchors on prefixes of the same vectors
if want anchors; then
	for lib in hnswlib faiss; do
		n=$ANCHOR_N
		[ "$lib" = faiss ] && n=$FAISS_N
		[ "$n" -gt 0 ] || continue
		t=$(truth "$n")
		idx=$run_dir/$lib-$n.bin
		timed "$lib-build" /usr/bin/python3 bench/scale_anchor.py build "$lib" "$(anchor_base "$n")" --n "$n" --save "$idx" --threads "$THREADS"
		jsonlines "$lib-build" "$run_dir/$lib-build.out"
		timed "$lib-query" /usr/bin/python3 bench/scale_anchor.py query "$lib" "$idx" "$qf" "$t"
		jsonlines "$lib-query" "$run_dir/$lib-query.out"
		rm -f "$idx"
	done
fi

# ---- 9. isotropic worst case
if [ "$ISO_N" -gt 0 ] && has import && want iso; then
	ib=$DIR/iso-$ISO_N-s$SEED.npz
	iq=$DIR/iso-queries-$ISO_N-s$SEED.npz
	[ -s "$ib" ] || timed iso-synth "$DIR/synth" -kind iso -n "$ISO_N" -queries "$NQ" -seed "$SEED" -out "$ib" -queries-out "$iq"
	it=$DIR/iso-truth-$ISO_N-s$SEED.json
	[ -s "$it" ] || timed iso-truth /usr/bin/python3 bench/scale_truth.py "$ib" "$iq" --out "$it" --queries-f32 "$DIR/iso-queries-$ISO_N-s$SEED.f32"
	idb=$run_dir/iso.db
	rm_store "$idb"
	timed iso-import "$VECIMG" --db "$idb" import --model-name synth-iso --no-index -q "$ib"
	if has index; then
		timed iso-build "$VECIMG" --db "$idb" index
	else
		timed iso-build "$VECIMG" --db "$idb" similar v00000000
	fi
	if [ -x "$DIR/query" ]; then
		timed iso-warm "$DIR/query" -db "$idb" -queries "$DIR/iso-queries-$ISO_N-s$SEED.f32" -truth "$it" -efs "${EFS:-0,16,32,64,128}" -rounds 2
		jsonlines iso-warm "$run_dir/iso-warm.out"
	fi
	if [ "$ANCHOR_N" -gt 0 ]; then
		hn=$((ISO_N < ANCHOR_N ? ISO_N : ANCHOR_N))
		[ "$hn" = "$ISO_N" ] || { note "hnswlib on the isotropic set skipped: it runs on all ISO_N vectors, and ANCHOR_N < ISO_N"; hn=0; }
		if [ "$hn" -gt 0 ]; then
			timed iso-hnswlib-build /usr/bin/python3 bench/scale_anchor.py build hnswlib "$ib" --save "$run_dir/iso-hnswlib.bin" --threads "$THREADS"
			jsonlines iso-hnswlib-build "$run_dir/iso-hnswlib-build.out"
			timed iso-hnswlib-query /usr/bin/python3 bench/scale_anchor.py query hnswlib "$run_dir/iso-hnswlib.bin" "$iq" "$it"
			jsonlines iso-hnswlib-query "$run_dir/iso-hnswlib-query.out"
			rm -f "$run_dir/iso-hnswlib.bin"
		fi
	fi
	[ "$KEEP" = 1 ] || rm_store "$idb"
fi

# ---- 10. table
sleep 2
kill "$sampler_pid" 2>/dev/null || true
[ -s "$run_dir/rss-samples.jsonl" ] && cat "$run_dir/rss-samples.jsonl" >>"$results"
/usr/bin/python3 bench/scale_report.py "$results" | tee "$DIR/table-$N.md"
if [ "$KEEP" != 1 ]; then
	rm -f "$base" "$addf" "$DIR/base-$N-s$SEED-first-"*.npz
fi
