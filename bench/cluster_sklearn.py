#!/usr/bin/python3
"""Compare vecimg k-means runs against scikit-learn on the same .npy vectors.

Called by bench/cluster.sh (see there for usage). Fits
KMeans(k, random_state=42, n_init=10) and
MiniBatchKMeans(k, batch_size=1024, random_state=42, n_init=3) on X,
loads the labels/centres/timings that `clusterbench run` wrote for each
vecimg run, recomputes every method's inertia the same way (float64 sum of
squared distances from each vector to the centre of its label) and prints
one table. Times are fit() only for scikit-learn and cluster.Fit only for
vecimg (input already in memory for both, except vecimg's streaming run,
which re-reads the .npy file on every pass): wall time, and CPU time of the
process summed over its threads, which a busy machine distorts less.
"""
import argparse
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score


def inertia(X, labels, centers):
    """Sum of squared distances to the assigned centre, in float64, by blocks."""
    total = 0.0
    C = centers.astype(np.float64)
    for s in range(0, X.shape[0], 2048):
        x = X[s:s + 2048].astype(np.float64)
        d = x - C[labels[s:s + 2048]]
        total += float(np.einsum("ij,ij->", d, d))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--x", required=True, help="N x D float32 .npy")
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--truth", help="int labels .npy (optional) for ARI vs truth")
    ap.add_argument("--vecimg", action="append", default=[],
                    help="prefix written by `clusterbench run -out PREFIX` (repeatable)")
    ap.add_argument("--json", help="also write the table as JSON here")
    a = ap.parse_args()

    X = np.load(a.x)
    if X.dtype != np.float32 or X.ndim != 2:
        sys.exit(f"{a.x}: need a 2-D float32 array, got {X.dtype} {X.shape}")
    truth = np.load(a.truth) if a.truth else None
    print(f"# X {X.shape} float32, k={a.k}; scikit-learn {sklearn.__version__}, numpy {np.__version__}",
          flush=True)

    rows = []

    def add(name, wall, cpu, labels, centers, own, extra=""):
        rows.append(dict(name=name, wall_s=wall, cpu_s=cpu, inertia=inertia(X, labels, centers),
                         reported=own, labels=labels, extra=extra))

    t, c = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=a.k, random_state=42, n_init=10).fit(X)
    add("sklearn KMeans(n_init=10)", time.perf_counter() - t, time.process_time() - c,
        km.labels_, km.cluster_centers_, float(km.inertia_), f"n_iter={km.n_iter_}")
    print(f"# KMeans done in {rows[-1]['wall_s']:.1f} s", flush=True)

    t, c = time.perf_counter(), time.process_time()
    mb = MiniBatchKMeans(n_clusters=a.k, batch_size=1024, random_state=42, n_init=3).fit(X)
    add("sklearn MiniBatchKMeans(1024)", time.perf_counter() - t, time.process_time() - c,
        mb.labels_, mb.cluster_centers_, float(mb.inertia_), f"n_steps={mb.n_steps_}")

    for p in a.vecimg:
        with open(p + ".json") as f:
            rep = json.load(f)
        lab = np.load(p + "_labels.npy")
        cen = np.load(p + "_centers.npy")
        add(f"{rep['name']} ({rep['mode']})", rep["wall_s"], rep["cpu_s"], lab, cen, rep["inertia"],
            f"swaps={rep['swaps']} steps={rep['iterations']} refine={rep['refine_passes']} converged={rep['converged']}")

    ref = rows[0]
    print()
    print("| method | wall s | wall / KMeans | CPU s | CPU / KMeans | inertia (float64 recomputed) |"
          " inertia / KMeans | ARI vs KMeans |" + (" ARI vs truth |" if truth is not None else "") + " notes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if truth is not None else "") + "---|")
    for r in rows:
        r["time_ratio"] = r["wall_s"] / ref["wall_s"]
        r["cpu_ratio"] = r["cpu_s"] / ref["cpu_s"]
        r["inertia_ratio"] = r["inertia"] / ref["inertia"]
        r["ari_kmeans"] = adjusted_rand_score(ref["labels"], r["labels"])
        line = (f"| {r['name']} | {r['wall_s']:.2f} | {r['time_ratio']:.3f} | {r['cpu_s']:.2f} | "
                f"{r['cpu_ratio']:.3f} | {r['inertia']:.6g} | {r['inertia_ratio']:.5f} | {r['ari_kmeans']:.4f} |")
        if truth is not None:
            r["ari_truth"] = adjusted_rand_score(truth, r["labels"])
            line += f" {r['ari_truth']:.4f} |"
        print(line + f" {r['extra']} |")
    if a.json:
        for r in rows:
            del r["labels"]
        with open(a.json, "w") as f:
            json.dump(dict(x=a.x, shape=list(X.shape), k=a.k, rows=rows), f, indent=2)


if __name__ == "__main__":
    main()
