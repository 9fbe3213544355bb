#!/usr/bin/env bash
# Side-by-side benchmark of the index package against hnswlib (Debian's
# python3-hnswlib) and github.com/coder/hnsw v0.6.1, on the same seeded data:
# VECIMG_BENCH_N base vectors (default 20000) and VECIMG_BENCH_QUERIES
# held-out queries (default 200) of a 50-component mixture in 4096-d.
#
#   bench/index.sh            # everything (about 15-30 min on 2 cores)
#   GO_BENCH='Build$|Search|Exact' bench/index.sh   # skip coder/hnsw and the serial build
#
# Latency is one query at a time on one thread for every library; builds use
# all cores except BuildSerial and coder/hnsw (one goroutine). Output goes to
# $VECIMG_BENCH_DIR (default .bench/index) and a table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

export VECIMG_BENCH_N=${VECIMG_BENCH_N:-20000}
export VECIMG_BENCH_QUERIES=${VECIMG_BENCH_QUERIES:-200}
dir=${VECIMG_BENCH_DIR:-.bench/index}
threads=${HNSWLIB_THREADS:-$(nproc)}
mkdir -p "$dir"
dump=$dir/data-$VECIMG_BENCH_N-$VECIMG_BENCH_QUERIES.bin

go test -c -o "$dir/index.test" ./index/
if [ ! -s "$dump" ]; then
	VECIMG_BENCH_DUMP=$dump.tmp "$dir/index.test" -test.run '^TestDumpBenchData$' -test.v
	mv "$dump.tmp" "$dump"
fi

echo "== hnswlib (build threads=$threads, queries on 1 thread)"
/usr/bin/python3 bench/index_hnswlib.py "$dump" --threads "$threads" | tee "$dir/hnswlib.txt"

echo "== vecimg index and coder/hnsw (go test -bench)"
"$dir/index.test" -test.run '^$' -test.bench "${GO_BENCH:-.}" -test.benchtime "${BENCHTIME:-2s}" \
	-test.timeout 3h | tee "$dir/go.txt"

/usr/bin/python3 - "$dir/go.txt" "$dir/hnswlib.txt" <<'PY'
import re, sys
go, hl = open(sys.argv[1]).read(), open(sys.argv[2]).read()
def grab(pat, text):
    return {m.group(1): m.groups()[1:] for m in re.finditer(pat, text)}
ours = grab(r"BenchmarkSearch/ef=(\d+)-\d+\s+\d+\s+\S+ ns/op\s+(\S+) ms/query\s+(\S+) recall@10", go)
coder = grab(r"BenchmarkCoderHNSW/ef=(\d+)-\d+\s+\d+\s+\S+ ns/op\s+(\S+) ms/query\s+(\S+) recall@10", go)
hnsw = grab(r"hnswlib search ef=(\d+) threads=1 ms/query=(\S+) recall@10=(\S+)", hl)
def cell(d, ef):
    return "%8s %9s" % (d[ef][1], d[ef][0]) if ef in d else "%8s %9s" % ("-", "-")
print()
print("%5s | %18s | %18s | %18s" % ("ef", "vecimg index", "hnswlib", "coder/hnsw v0.6.1"))
print("%5s | %8s %9s | %8s %9s | %8s %9s" % ("", "recall", "ms/query", "recall", "ms/query", "recall", "ms/query"))
for ef in sorted(set(ours) | set(hnsw) | set(coder), key=int):
    print("%5s | %s | %s | %s" % (ef, cell(ours, ef), cell(hnsw, ef), cell(coder, ef)))
print()
for label, pat, text in [
    ("vecimg build (AddBatch, all cores)", r"BenchmarkBuild-\d+\s+\d+\s+\S+ ns/op\s+(\S+) s/build", go),
    ("vecimg build (Add, one goroutine)", r"BenchmarkBuildSerial-\d+\s+\d+\s+\S+ ns/op\s+(\S+) s/build", go),
    ("hnswlib build", r"hnswlib build threads=\d+ n=\d+ dim=\d+ seconds=(\S+)", hl),
    ("coder/hnsw build (one goroutine)", r"coder/hnsw v0.6.1: built \d+ vectors in (\S+) s", go),
    ("vecimg exact search, ms/query", r"BenchmarkExact-\d+\s+\d+\s+\S+ ns/op\s+(\S+) ms/query", go),
]:
    m = re.search(pat, text)
    print("%-36s %s" % (label, m.group(1) if m else "-"))
PY
