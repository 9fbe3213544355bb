#!/usr/bin/python3
"""hnswlib on the index benchmark data set, as the reference for index/.

Reads the file written by
    VECIMG_BENCH_DUMP=FILE go test -run TestDumpBenchData ./index/
(the same seeded vectors, queries and exact top-10 the Go benchmarks use),
builds an hnswlib index (cosine space, M=16, ef_construction=200) and
prints build time, per-query latency and recall@10 per ef, one line each:

    hnswlib build threads=2 n=20000 dim=4096 seconds=12.3
    hnswlib search ef=64 threads=1 ms/query=0.91 recall@10=0.999

Queries are issued one at a time (knn_query on one vector, num_threads=1),
so latency is comparable with the Go benchmark's single-goroutine loop.
Run with Debian's python3 (python3-hnswlib, python3-numpy):
    /usr/bin/python3 bench/index_hnswlib.py FILE [--threads N]
With --save PATH --no-search it only builds and saves the index; with
--load PATH it skips the build (bench/index.sh uses both to alternate
hnswlib and Go query rounds).
"""

import argparse
import os
import struct
import sys
import time

import hnswlib
import numpy as np

EFS = [10, 16, 24, 32, 48, 64, 96, 128, 200]


def load(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) != 24 or head[:8] != b"VECIMGB1":
            sys.exit(f"{path}: not a vecimg benchmark dump (run TestDumpBenchData)")
        n, nq, dim, k = struct.unpack("<4I", head[8:])
        base = np.fromfile(f, dtype="<f4", count=n * dim).reshape(n, dim)
        queries = np.fromfile(f, dtype="<f4", count=nq * dim).reshape(nq, dim)
        truth = np.fromfile(f, dtype="<i4", count=nq * k).reshape(nq, k)
    if truth.shape != (nq, k):
        sys.exit(f"{path}: truncated")
    return base, queries, truth


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump", help="file written by TestDumpBenchData")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for building (default: all cores)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="passes over the queries per ef when timing")
    ap.add_argument("--save", help="save the built index to this file")
    ap.add_argument("--load", help="load the index from this file instead of building")
    ap.add_argument("--no-search", action="store_true", help="build (and save) only")
    args = ap.parse_args()

    base, queries, truth = load(args.dump)
    n, dim = base.shape
    k = truth.shape[1]

    index = hnswlib.Index(space="cosine", dim=dim)
    if args.load:
        index.load_index(args.load, max_elements=n)
    else:
        # The Go side's exact neighbours must agree with numpy's.
        def unit(a):
            return a / np.linalg.norm(a, axis=1, keepdims=True)
        sims = unit(queries.astype(np.float64)) @ unit(base.astype(np.float64)).T
        np_truth = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        agree = np.mean([len(set(a) & set(b)) / k for a, b in zip(np_truth, truth)])
        print(f"hnswlib check exact-agreement={agree:.4f}")

        index.init_index(max_elements=n, ef_construction=200, M=16, random_seed=100)
        index.set_num_threads(args.threads)
        start = time.perf_counter()
        index.add_items(base, np.arange(n), num_threads=args.threads)
        build = time.perf_counter() - start
        print(f"hnswlib build threads={args.threads} n={n} dim={dim} seconds={build:.2f}", flush=True)
        if args.save:
            index.save_index(args.save)
    if args.no_search:
        return

    index.set_num_threads(1)
    for ef in EFS:
        index.set_ef(max(ef, k))
        found = np.stack([index.knn_query(q, k=k, num_threads=1)[0][0] for q in queries])
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(found, truth)])
        start = time.perf_counter()
        for _ in range(args.repeat):
            for q in queries:
                index.knn_query(q, k=k, num_threads=1)
        ms = (time.perf_counter() - start) * 1e3 / (args.repeat * len(queries))
        print(f"hnswlib search ef={ef} threads=1 ms/query={ms:.4f} recall@10={recall:.4f}", flush=True)


if __name__ == "__main__":
    main()
