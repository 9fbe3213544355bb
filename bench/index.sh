#!/usr/bin/env bash
# Side-by-side benchmark of the index package against hnswlib (Debian's
# python3-hnswlib, M=16, ef_construction=200, float32 in RAM) and
# github.com/coder/hnsw v0.6.1, on the same seeded data: VECIMG_BENCH_N base
# vectors (default 20000) and VECIMG_BENCH_QUERIES held-out queries (default
# 200). VECIMG_BENCH_DATA=mixture (default: the 50-component 4096-d mixture
# of index/mixture_test.go, the set of the README's tables, near-isotropic:
# the worst case for compressed codes) or fc6 (fc6-like spectrum and mean,
# index/synth_test.go).
#
#   bench/index.sh                          # about 10-20 minutes on 2 cores
#   VECIMG_BENCH_DATA=fc6 bench/index.sh
#   ROUNDS=5 bench/index.sh                 # more query rounds
#
# 1. builds: vecimg with Build (all cores: codebook, codes, graph),
#    hnswlib with HNSWLIB_THREADS threads (default: all cores);
# 2. ROUNDS (default 3) alternating query rounds: Go, then hnswlib, so that
#    both see the same machine load; every query runs alone on one thread;
#    the table shows the median ms/query over the rounds;
# 3. re-rank depths at the default ef, coder/hnsw v0.6.1 (build on one
#    goroutine, then queries), and the code scan against graph search on
#    small indexes (Config.ExactBelow).
#
# Output files go to $VECIMG_BENCH_DIR (default .bench/index).
set -euo pipefail
cd "$(dirname "$0")/.."

export VECIMG_BENCH_N=${VECIMG_BENCH_N:-20000}
export VECIMG_BENCH_DATA=${VECIMG_BENCH_DATA:-mixture}
export VECIMG_BENCH_QUERIES=${VECIMG_BENCH_QUERIES:-200}
dir=${VECIMG_BENCH_DIR:-.bench/index}
threads=${HNSWLIB_THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
mkdir -p "$dir"
tag=$VECIMG_BENCH_DATA-$VECIMG_BENCH_N
dump=$dir/data-$tag-$VECIMG_BENCH_QUERIES.bin
export VECIMG_BENCH_INDEX=$dir/vecimg-$tag.idx
hnswlib_index=$dir/hnswlib-$tag.bin
gotest() { "$dir/index.test" -test.run '^$' -test.timeout 3h "$@"; }

go test -c -o "$dir/index.test" ./index/
if [ ! -s "$dump" ]; then
	VECIMG_BENCH_DUMP=$dump.tmp "$dir/index.test" -test.run '^TestDumpBenchData$' -test.v
	mv "$dump.tmp" "$dump"
fi
rm -f "$dir"/round-*.txt

echo "== builds"
rm -f "$VECIMG_BENCH_INDEX"
gotest -test.bench '^BenchmarkBuild$' -test.benchtime 1x | tee "$dir/build-go.txt"
/usr/bin/python3 bench/index_hnswlib.py "$dump" --threads "$threads" --save "$hnswlib_index" --no-search |
	tee "$dir/build-hnswlib.txt"

for r in $(seq "$rounds"); do
	echo "== query round $r of $rounds"
	gotest -test.bench '^Benchmark(Search|Exact)$' -test.benchtime "${BENCHTIME:-1s}" | tee "$dir/round-$r-go.txt"
	/usr/bin/python3 bench/index_hnswlib.py "$dump" --load "$hnswlib_index" --repeat 3 | tee "$dir/round-$r-hnswlib.txt"
done

echo "== re-rank depths; coder/hnsw v0.6.1; code scan against graph search on small indexes"
gotest -test.bench '^Benchmark(Rerank|Open|CoderHNSW|Crossover)$' -test.benchtime "${BENCHTIME:-1s}" | tee "$dir/other-go.txt"

/usr/bin/python3 - "$dir" <<'PY'
import glob, re, statistics, sys
d = sys.argv[1]
read = lambda p: "".join(open(f).read() for f in sorted(glob.glob(f"{d}/{p}")))
GO = r"(\S+?)-\d+[ \t]+\d+[ \t]+\S+ ns/op((?:[ \t]+\S+ \S+)*)"

def go_metrics(text):
    out = {}
    for m in re.finditer(GO, text):
        metrics = dict((u, float(v)) for v, u in re.findall(r"(\S+) (\S+)", m.group(2)))
        out.setdefault(m.group(1), []).append(metrics)
    return out

rounds_go = go_metrics(read("round-*-go.txt"))
other = go_metrics(read("other-go.txt"))
build = go_metrics(read("build-go.txt"))
hl = {}
for m in re.finditer(r"hnswlib search ef=(\d+) threads=1 ms/query=(\S+) recall@10=(\S+)", read("round-*-hnswlib.txt")):
    hl.setdefault(int(m.group(1)), []).append((float(m.group(2)), float(m.group(3))))

def med(runs, key):
    return statistics.median(r[key] for r in runs)

print()
print("recall@10 and median ms/query over the rounds (one query at a time, one thread)")
print("%5s | %17s | %17s | %17s" % ("ef", "vecimg index", "hnswlib", "coder/hnsw v0.6.1"))
print("%5s | %7s %9s | %7s %9s | %7s %9s" % ("", "recall", "ms/query", "recall", "ms/query", "recall", "ms/query"))
efs = sorted({int(k.split("=")[1]) for k in list(rounds_go) + list(other) if "/ef=" in k} | set(hl))
for ef in efs:
    row = []
    for runs in (rounds_go.get(f"BenchmarkSearch/ef={ef}"),
                 [{"recall@10": r, "ms/query": t} for t, r in hl.get(ef, [])] or None,
                 other.get(f"BenchmarkCoderHNSW/ef={ef}")):
        row.append("%7.4f %9.3f" % (med(runs, "recall@10"), med(runs, "ms/query")) if runs else "%7s %9s" % ("-", "-"))
    print("%5d | %s" % (ef, " | ".join(row)))
print()
def line(label, value):
    print("%-44s %s" % (label, value))
if "BenchmarkBuild" in build:
    b = build["BenchmarkBuild"][0]
    line("vecimg build (all cores), s", "%.1f" % b["s/build"])
    line("vecimg code dimension (int8 components)", "%d" % b["code-dim"])
    if "file-B/vector" in b:
        line("vecimg index file, bytes per vector", "%.0f" % b["file-B/vector"])
m = re.search(r"hnswlib build threads=(\d+) .* seconds=(\S+)", read("build-hnswlib.txt"))
if m:
    line(f"hnswlib build ({m.group(1)} threads), s", m.group(2))
m = re.search(r"coder/hnsw v0.6.1: built \d+ vectors in (\S+) s", read("other-go.txt"))
if m:
    line("coder/hnsw build (one goroutine), s", m.group(1))
if "BenchmarkExact" in rounds_go:
    line("vecimg exact search, streamed (all cores), ms/query", "%.2f" % med(rounds_go["BenchmarkExact"], "ms/query"))
if "BenchmarkOpen" in other:
    line("vecimg open (mmap) + first query, ms", "%.2f" % med(other["BenchmarkOpen"], "ms/open"))
rr = {k: v for k, v in other.items() if k.startswith("BenchmarkRerank/")}
if rr:
    print()
    print("re-rank depth at the default ef (0 = codes only, no exact vectors)")
    for k in sorted(rr, key=lambda k: int(k.split("=")[1])):
        print("  %-8s recall %.4f  %7.3f ms/query" % (k.split("/")[1], med(rr[k], "recall@10"), med(rr[k], "ms/query")))
cross = {k: v for k, v in other.items() if k.startswith("BenchmarkCrossover/")}
if cross:
    print()
    print("small indexes: ms/query of the code scan and of graph search (default ef), both re-ranked")
    sizes = sorted({int(re.search(r"n=(\d+)", k).group(1)) for k in cross})
    for n in sizes:
        e, g = cross.get(f"BenchmarkCrossover/n={n}/scan"), cross.get(f"BenchmarkCrossover/n={n}/graph")
        print("  n=%-6d scan %7.3f   graph %7.3f" % (n, med(e, "ms/query"), med(g, "ms/query")))
PY
