#!/usr/bin/python3
"""Anchors for bench/scale.sh: hnswlib and faiss IndexHNSWSQ (8-bit) on a prefix
of the same vectors, cosine (vectors normalised; inner product).

    scale_anchor.py build hnswlib|faiss BASE.npz --n N --save FILE [--threads 2]
    scale_anchor.py query hnswlib|faiss FILE QUERIES.npz TRUTH.json [--efs 16,32,64]

build prints one JSON line: {"lib", "n", "build_s", "peak_rss_mib"}; query
loads FILE (timed), runs every query alone on one thread (median ms over
--repeat passes per ef) and prints one JSON line per ef plus the load time
and peak RSS. hnswlib: M=16, ef_construction=200, float32 in RAM. faiss:
IndexHNSWSQ(QT_8bit, M=16), efConstruction=200, trained on the first
min(N, 100000) vectors. Debian's python3-faiss is a generic build (no AVX2).
"""
import argparse, json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_common import npz_member, normalized, rss_mib

CHUNK = 20000


def build(a):
    B = npz_member(a.base, "vectors")
    n = a.n or len(B)
    dim = B.shape[1]
    t0 = time.time()
    if a.lib == "hnswlib":
        import hnswlib
        x = hnswlib.Index(space="ip", dim=dim)
        x.init_index(max_elements=n, M=16, ef_construction=200, random_seed=1)
        x.set_num_threads(a.threads)
        for s in range(0, n, CHUNK):
            x.add_items(normalized(B[s:min(n, s + CHUNK)]), np.arange(s, min(n, s + CHUNK)))
        built = time.time() - t0
        x.save_index(a.save)
    else:
        import faiss
        faiss.omp_set_num_threads(a.threads)
        x = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
        x.hnsw.efConstruction = 200
        x.train(normalized(B[:min(n, 100000)]))
        for s in range(0, n, CHUNK):
            x.add(normalized(B[s:min(n, s + CHUNK)]))
        built = time.time() - t0
        faiss.write_index(x, a.save)
    print(json.dumps({"lib": a.lib, "n": n, "build_s": round(built, 2), "file_mib": round(os.path.getsize(a.save) / 2**20, 1),
                      "peak_rss_mib": round(rss_mib(), 1)}), flush=True)


def query(a):
    Qz = np.load(a.queries)
    Q = normalized(Qz["vectors"])
    truth = json.load(open(a.truth))
    want = [set(r) for r in truth["idx"]]
    k = truth["k"]
    t0 = time.time()
    if a.lib == "hnswlib":
        import hnswlib
        x = hnswlib.Index(space="ip", dim=Q.shape[1])
        x.load_index(a.index)
        x.set_num_threads(1)
    else:
        import faiss
        faiss.omp_set_num_threads(1)
        x = faiss.read_index(a.index)
    load = time.time() - t0
    print(json.dumps({"lib": a.lib, "n": truth["n"], "load_s": round(load, 3)}), flush=True)
    for ef in [int(e) for e in a.efs.split(",")]:
        times, found = [], None
        for r in range(a.repeat):
            got = []
            t = time.perf_counter()
            for q in Q:
                if a.lib == "hnswlib":
                    x.set_ef(max(ef, k))
                    lab, _ = x.knn_query(q[None, :], k=k, num_threads=1)
                else:
                    x.hnsw.efSearch = max(ef, k)
                    _, lab = x.search(q[None, :], k)
                got.append(lab[0])
            times.append((time.perf_counter() - t) * 1000 / len(Q))
            found = got
        rec = np.mean([len(want[i] & set(int(j) for j in found[i])) / k for i in range(len(Q))])
        print(json.dumps({"lib": a.lib, "n": truth["n"], "ef": ef, "ms_per_query": round(float(np.median(times)), 3),
                          "recall_at_10": round(float(rec), 4)}), flush=True)
    print(json.dumps({"lib": a.lib, "n": truth["n"], "query_peak_rss_mib": round(rss_mib(), 1)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("lib", choices=["hnswlib", "faiss"])
    b.add_argument("base")
    b.add_argument("--n", type=int, default=0)
    b.add_argument("--save", required=True)
    b.add_argument("--threads", type=int, default=2)
    q = sub.add_parser("query")
    q.add_argument("lib", choices=["hnswlib", "faiss"])
    q.add_argument("index")
    q.add_argument("queries")
    q.add_argument("truth")
    q.add_argument("--efs", default="10,16,32,64,128")
    q.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    build(a) if a.cmd == "build" else query(a)


if __name__ == "__main__":
    main()
