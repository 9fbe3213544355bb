#!/usr/bin/python3
"""Exact float32 cosine top-k of held-out queries against the first N base vectors.

    /usr/bin/python3 bench/scale_truth.py BASE.npz QUERIES.npz --n N --out TRUTH.json [--queries-f32 Q.f32]

TRUTH.json: {"n", "k", "queries": [query ids], "ids": [[top-k base ids] per query],
"cos": [[cosines]]}. With --queries-f32 it also writes the query vectors as raw
little-endian float32 (rows in TRUTH.json's order) for bench/synth/query.
"""
import argparse, json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_common import npz_member, normalized


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("queries")
    ap.add_argument("--n", type=int, default=0, help="first N base vectors (default: all)")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries-f32")
    ap.add_argument("--chunk", type=int, default=32768)
    a = ap.parse_args()
    t0 = time.time()
    B, ids = npz_member(a.base, "vectors"), npz_member(a.base, "ids")
    Qz = np.load(a.queries)
    Q, qids = normalized(Qz["vectors"]), [str(i) for i in Qz["ids"]]
    n = a.n or len(B)
    if n > len(B):
        sys.exit(f"--n {n}: {a.base} has only {len(B)} vectors")
    best = np.full((len(Q), a.k), -np.inf, dtype=np.float32)
    bidx = np.zeros((len(Q), a.k), dtype=np.int64)
    for s in range(0, n, a.chunk):
        S = Q @ normalized(B[s:min(n, s + a.chunk)]).T
        top = np.argpartition(-S, a.k - 1, axis=1)[:, :a.k] if S.shape[1] > a.k else np.tile(np.arange(S.shape[1]), (len(Q), 1))
        cand = np.concatenate([best, np.take_along_axis(S, top, 1)], 1)
        cidx = np.concatenate([bidx, top + s], 1)
        o = np.argsort(-cand, axis=1)[:, :a.k]
        best, bidx = np.take_along_axis(cand, o, 1), np.take_along_axis(cidx, o, 1)
    out = {"n": n, "k": a.k, "queries": qids, "ids": [[str(ids[j]) for j in row] for row in bidx],
           "idx": bidx.tolist(), "cos": best.tolist()}
    with open(a.out + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(a.out + ".tmp", a.out)
    if a.queries_f32:
        np.ascontiguousarray(Qz["vectors"], dtype="<f4").tofile(a.queries_f32)
    print(f"truth: {len(Q)} queries × first {n} base vectors, exact float32 cosine top-{a.k}, "
          f"{time.time() - t0:.1f}s; median cos to the 10th: {np.median(best[:, -1]):.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
