#!/usr/bin/env bash
# Benchmark vecimg's k-means (package cluster) against scikit-learn on the
# same vectors, in one run: wall time, CPU time and inertia of
#   - sklearn KMeans(k, random_state=42, n_init=10)
#   - sklearn MiniBatchKMeans(k, batch_size=1024, random_state=42, n_init=3)
#   - vecimg cluster.Fit with default options, vectors in memory
#   - vecimg cluster.Fit streaming from the .npy file on every pass
#     (MemoryLimit = half the data, so it cannot load it)
# plus each method's inertia and time relative to KMeans, and ARI against
# KMeans (and against the true components for the synthetic mixture).
# Inertia is recomputed for every method the same way (float64).
#
# Usage (from anywhere; paths relative to the repository root):
#   bench/cluster.sh                # (b) synthetic mixture: N=20000 x 4096,
#                                   #     k=50, seed 42, written once to
#                                   #     .bench/cluster/mixture.npy
#   bench/cluster.sh X.npy K        # any N x D float32 .npy (C order), e.g.
#                                   #     (a) vectors exported from the
#                                   #     dev-set store: bench/cluster.sh dev.npy 5
# Environment: OUT (default .bench/cluster) for outputs; the table also goes
# to $OUT/<name>_k<K>.md and $OUT/<name>_k<K>.json.
#
# Needs Go and Debian's /usr/bin/python3 with python3-sklearn. scikit-learn
# is run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (only for that
# command): this machine's environment pins OpenBLAS to the Haswell kernels,
# and unsetting them lets OpenBLAS pick the kernels it detects. Both sides
# use all cores (GOMAXPROCS / OpenMP and OpenBLAS threads default to nproc).
# Timings are only comparable when nothing else loads the machine; the load
# average at the start is printed with the results.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-.bench/cluster}
mkdir -p "$OUT"
go build -o "$OUT/clusterbench" ./bench/clusterbench

TRUTH=()
if [ $# -ge 1 ]; then
	X=$1
	K=${2:?usage: bench/cluster.sh [X.npy K]}
else
	X=$OUT/mixture.npy
	K=50
	if [ ! -f "$X" ] || [ ! -f "$OUT/mixture_truth.npy" ]; then
		echo "generating $X (20000 x 4096 float32, 50 components, seed 42)"
		"$OUT/clusterbench" gen -out "$X" -truth "$OUT/mixture_truth.npy" \
			-n 20000 -d 4096 -k 50 -seed 42 -spread 1.0 -sigma-min 0.8 -sigma-max 1.2
	fi
	TRUTH=(--truth "$OUT/mixture_truth.npy")
fi
name=$(basename "$X" .npy)
bytes=$(stat -c %s "$X")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3), GOMAXPROCS default $(nproc)"

"$OUT/clusterbench" run -in "$X" -k "$K" -name vecimg -out "$OUT/${name}_k${K}_memory"
"$OUT/clusterbench" run -in "$X" -k "$K" -name vecimg -stream -memlimit $((bytes / 2)) \
	-out "$OUT/${name}_k${K}_stream"

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/cluster_sklearn.py \
	--x "$X" --k "$K" "${TRUTH[@]}" \
	--vecimg "$OUT/${name}_k${K}_memory" --vecimg "$OUT/${name}_k${K}_stream" \
	--json "$OUT/${name}_k${K}.json" | tee "$OUT/${name}_k${K}.md"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
