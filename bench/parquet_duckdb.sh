#!/usr/bin/env bash
# Parquet export read by an independent engine (DuckDB), and Parquet import, on N vectors.
#
#   bench/parquet_duckdb.sh [--db STORE] [N]          default N = 1000000
#
# The store: --db STORE when given; else the scale benchmark's store for N
# (.bench/scale/run-N/store.db, kept by `KEEP=1 bench/scale.sh N`) when it exists; else
# N seeded vectors are made with bench/synth (fitted to fc6 when
# .bench/scale/fc6-params.bin exists, else an isotropic mixture, 4096-d), imported, and
# clustered with k = 10 so that labels exist.
# Steps: vecimg export --format parquet (timed); bench/duckdb/storecheck reads the store
# (count, labels, one vector); bench/duckdb/read.mjs has DuckDB (npm @duckdb/node-api,
# installed into bench/duckdb/node_modules) read the files and compare: row count, that
# vector bit for bit, SELECT label, count(*); then vecimg import of the Parquet folder into
# a new store (timed; IMPORT=0 skips it) and a check that the imported store has the
# same count. Prints the figures; files go to .bench/parquet (removed at the end unless KEEP=1).
# Needs: go, node + npm, ~2 × N × 16 KiB of free disk (more when the store is made here).
set -euo pipefail
cd "$(dirname "$0")/.."
db=""
if [ "${1:-}" = "--db" ]; then db=$2; shift 2; fi
N=${1:-1000000}
IMPORT=${IMPORT:-1}
KEEP=${KEEP:-0}
work=.bench/parquet
mkdir -p "$work"
make -s build
py=/usr/bin/python3
now() { date +%s.%N; }
# peak OUT CMD...: runs CMD with stdout to OUT and prints its peak RssAnon (the process's own
# memory, sampled every 0.5 s; badger's memory-mapped files, RssFile, are page cache).
peak() {
  local out=$1; shift
  "$@" > "$out" & local pid=$! ma=0 mf=0 a f
  while [ -r /proc/$pid/status ] && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; do
    read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' /proc/$pid/status 2>/dev/null || echo 0 0)
    [ "${a:-0}" -gt "$ma" ] && ma=$a; [ "${f:-0}" -gt "$mf" ] && mf=$f
    sleep 0.5
  done
  wait "$pid"
  echo "  peak memory: RssAnon $((ma / 1024)) MiB (RssFile $((mf / 1024)) MiB)"
}
secs() { $py -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
[ -d bench/duckdb/node_modules/@duckdb/node-api ] || (cd bench/duckdb && npm install --no-audit --no-fund >/dev/null)

if [ -z "$db" ] && [ -d ".bench/scale/run-$N/store.db" ]; then db=.bench/scale/run-$N/store.db; fi
if [ -z "$db" ]; then
  db=$work/store-$N.db
  if [ ! -d "$db" ]; then
    kind=(-kind iso -dim 4096)
    [ -f .bench/scale/fc6-params.bin ] && kind=(-kind fitted -params .bench/scale/fc6-params.bin)
    echo "making $N vectors (${kind[*]}) and importing them into $db"
    go run ./bench/synth "${kind[@]}" -n "$N" -seed 7 -q -out "$work/base-$N.npz"
    ./vecimg --db "$db" import -q --no-index --model-name "synth-$N" "$work/base-$N.npz" >/dev/null
    rm -f "$work/base-$N.npz"
    ./vecimg --db "$db" cluster --k 10 --seed 42 >/dev/null 2>&1
  fi
fi
count=$(./vecimg --db "$db" info --json 2>/dev/null | $py -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "store: $db, $count records; $(nproc) cores"
out=$work/export-$N
rm -rf "$out" "$work/import-$N.db"

sync; t0=$(now)
peak "$work/export.json" ./vecimg --db "$db" export -q --json --format parquet --out "$out" > "$work/export.mem"
t1=$(now)
$py - "$work/export.json" "$t0" "$t1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); wall = float(sys.argv[3]) - float(sys.argv[2])
raw = r["records"] * r["dim"] * 4
sizes = [f["bytes"] for f in r["files"]]
print(f"export: {r['records']} rows × {r['dim']} {r['vector_type']} in {wall:.1f} s wall "
      f"({r['records']/wall:,.0f} rows/s; {r['bytes']/wall/1e6:.0f} MB/s of Parquet written, {raw/wall/1e6:.0f} MB/s of raw vectors)")
print(f"files: {len(sizes)} × ≤{max(sizes)/1e6:.1f} MB, total {r['bytes']/1e9:.2f} GB ({r['bytes']/raw:.3f} of the raw float32 bytes)")
PY
cat "$work/export.mem"

go run ./bench/duckdb/storecheck -db "$db" > "$work/storecheck.json"
t2=$(now)
fail=0
node bench/duckdb/read.mjs "$out" "$work/storecheck.json" > "$work/duckdb.json" || fail=1
t3=$(now)
$py - "$work/duckdb.json" "$(secs "$t2" "$t3")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"DuckDB {r['duckdb']} ({sys.argv[2]} s in all): count {r['count']} ok={r['count_ok']} ({r['count_seconds']} s); "
      f"vector of {r['vector_id']!r}: {r['vector_len']} values, bit-identical={r['vector_ok']} ({r['vector_seconds']} s); "
      f"labels ok={r['labels_ok']} {r['labels']} ({r['labels_seconds']} s); "
      f"full scan of every value {r['full_scan_seconds']} s; lengths ok={r['lengths_ok']}; schema {r['schema']}")
print("DUCKDB CHECK", "PASSED" if r["ok"] else "FAILED")
PY

if [ "$IMPORT" = 1 ]; then
  sync; t4=$(now)
  peak "$work/import.json" ./vecimg --db "$work/import-$N.db" import -q --json --no-index --model-name "parquet-roundtrip" "$out" > "$work/import.mem"
  t5=$(now)
  $py - "$work/import.json" "$work/export.json" "$t4" "$t5" <<'PY' || fail=1
import json, sys
r, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
wall = float(sys.argv[4]) - float(sys.argv[3])
print(f"import of the Parquet folder (checked, then written: two reads): {r['rows']} rows in {wall:.1f} s wall "
      f"({r['rows']/wall:,.0f} rows/s; {e['bytes']/wall/1e6:.0f} MB/s of Parquet, counted once)")
print("IMPORT COUNT", "PASSED" if r["rows"] == e["records"] else "FAILED")
sys.exit(0 if r["rows"] == e["records"] else 1)
PY
  cat "$work/import.mem"
fi
du -sh "$out" | sed 's/^/export folder: /'
if [ "$KEEP" != 1 ]; then rm -rf "$out" "$work/import-$N.db"; fi
exit $fail
