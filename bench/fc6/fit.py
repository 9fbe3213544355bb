#!/usr/bin/python3
"""Fit the synthetic-feature generator (bench/synth) to real fc6 vectors.

    /usr/bin/python3 bench/fc6/fit.py --out PARAMS.bin A.npz:A_truth.csv [B.npz:B_truth.csv ...]
    /usr/bin/python3 bench/fc6/fit.py --check REAL.npz[:truth.csv] SYNTH.npz [...]

Each input is an .npz written by `vecimg export` (ids, vectors) and the
truth.csv of the image folder (ImageID,group: which source photo each image
was cut from, as ../shared/ref/make_dataset.py writes it). Groups of
different inputs are kept apart.

The model (the equations are in bench/synth/params.go):
  centre = mean + sum_k sqrt(lc_k) z_k u_k + tail_c (.) eps
  member = centre + s * (sum_k sqrt(lw_k) z_k w_k + tail_w (.) eps)
- u_k, lambda_k: principal directions / variances of all vectors (total);
- w_k, lw_k: principal directions / variances of the within-group residuals
  (vector minus its group's mean, scaled by n/(n-G));
- lc_k = lambda_k - s^2 * (u_k' Cw u_k): the between-group part of the total
  variance along u_k (at least 5% of lambda_k);
- only the directions the sample supports are explicit (--centre-rank,
  --member-rank, both well below the number of vectors); the rest of each
  spectrum is a power law fitted to the sample eigenvalues (ranks 10 to n/3)
  and extrapolated to rank D; that tail variance is spread over the
  coordinates in proportion to the per-coordinate residual variance left
  after the explicit directions (tail_c, tail_w);
- s is chosen by bisection so that the median cosine to the 10th nearest
  neighbour of a synthetic sample with the real group structure matches the
  real vectors.
--check prints, for the real vectors and each synthetic .npz: variance in
the top 10 and top 256 principal directions, mean-norm ratio (|mean| over
the median |x|), and the median cosine to the 10th neighbour (exact, on up
to --check-max vectors).
"""
import argparse, csv, json, sys
import numpy as np

FORMAT = "vecimg-synth-params/1"


def load(spec):
    path, _, truth = spec.partition(":")
    z = np.load(path)
    ids, X = z["ids"], z["vectors"].astype(np.float64)
    groups = None
    if truth:
        g = {}
        with open(truth) as f:
            for row in csv.DictReader(f):
                g[row["ImageID"]] = int(row["group"])
        missing = [i for i in ids if str(i) not in g]
        if missing:
            sys.exit(f"{truth}: no group for ids {missing[:5]} of {path}")
        groups = np.array([g[str(i)] for i in ids])
    return X, groups


def stats(X, max_n=20000):
    X = np.asarray(X[:max_n], dtype=np.float64)
    mu = X.mean(0)
    norms = np.linalg.norm(X, axis=1)
    Xc = X - mu
    if len(X) <= 4096:
        ev = np.linalg.svd(Xc, compute_uv=False) ** 2
    else:
        ev = np.linalg.eigvalsh(Xc.T @ Xc)[::-1]
    f = np.cumsum(ev) / ev.sum()
    Y = (X / norms[:, None]).astype(np.float32)
    c10 = np.empty(len(Y))
    for a in range(0, len(Y), 2048):
        C = Y[a:a + 2048] @ Y.T
        C[np.arange(len(C)), np.arange(a, a + len(C))] = -9
        c10[a:a + 2048] = -np.partition(-C, 9, axis=1)[:, 9]
    return {"n": len(X), "var_top10": float(f[9]), "var_top256": float(f[min(255, len(f) - 1)]),
            "mean_norm_ratio": float(np.linalg.norm(mu) / np.median(norms)),
            "nn10_cos_median": float(np.median(c10))}


def powerlaw_tail(ev, lo, hi, first, dim):
    """Sum of a*k^-b over ranks first..dim (1-based), fitted on ranks lo..hi."""
    k = np.arange(lo, hi + 1)
    b, loga = np.polyfit(np.log(k), np.log(ev[lo - 1:hi]), 1)
    kk = np.arange(first, dim + 1, dtype=np.float64)
    return float(np.exp(loga) * (kk ** b).sum()), -b


def fit(X, groups, centre_rank, member_rank):
    n, D = X.shape
    mu = X.mean(0)
    Xc = X - mu
    # within-group residuals
    R = np.empty_like(X)
    G = 0
    for g in np.unique(groups):
        m = groups == g
        R[m] = X[m] - X[m].mean(0)
        G += 1
    R *= np.sqrt(n / max(1, n - G))  # unbiased within-group covariance
    _, sv, Vt = np.linalg.svd(Xc / np.sqrt(n - 1), full_matrices=False)
    lam, U = sv ** 2, Vt
    _, svw, Wt = np.linalg.svd(R / np.sqrt(n), full_matrices=False)
    lamw, W = svw ** 2, Wt
    rc, rw = min(centre_rank, n // 2), min(member_rank, (n - G) // 2)
    hi_t, hi_w = max(20, n // 3), max(20, (n - G) // 3)
    tail_t, slope_t = powerlaw_tail(lam, 10, hi_t, rc + 1, D)
    tail_w, slope_w = powerlaw_tail(lamw, 10, hi_w, rw + 1, D)
    # per-coordinate profile of what the explicit directions leave
    prof_t = ((Xc - (Xc @ U[:rc].T) @ U[:rc]) ** 2).sum(0)
    prof_w = ((R - (R @ W[:rw].T) @ W[:rw]) ** 2).sum(0)
    prof_t /= prof_t.sum()
    prof_w /= prof_w.sum()
    # within-group variance along each total direction
    wu = ((R @ U[:rc].T) ** 2).sum(0) / n
    return dict(n=n, G=G, D=D, mu=mu, lam=lam[:rc], U=U[:rc], wu=wu, tail_t=tail_t, prof_t=prof_t,
                lamw=lamw[:rw], W=W[:rw], tail_w=tail_w, prof_w=prof_w, rc=rc, rw=rw,
                slope_t=slope_t, slope_w=slope_w, wtail_total=float(lamw[rw:].sum()))


def arrays(f, s):
    """The generator's arrays for member scale s."""
    lc = np.maximum(f["lam"] - s * s * f["wu"], 0.05 * f["lam"])
    # tail: total tail minus the (scaled) within-group tail, at least 5%
    tc = max(f["tail_t"] - s * s * f["tail_w"], 0.05 * f["tail_t"])
    return dict(mean=f["mu"], centre_std=np.sqrt(lc), centre_dirs=f["U"],
                centre_tail_std=np.sqrt(tc * f["prof_t"]),
                member_std=s * np.sqrt(f["lamw"]), member_dirs=f["W"],
                member_tail_std=s * np.sqrt(f["tail_w"] * f["prof_w"]))


def sample(a, n, group_size, rng):
    """numpy twin of bench/synth (fitted): one chunk of n positions."""
    G = max(1, int(round(n / group_size)))
    D = len(a["mean"])
    zc = rng.standard_normal((G, len(a["centre_std"])))
    C = a["mean"] + (zc * a["centre_std"]) @ a["centre_dirs"] + rng.standard_normal((G, D)) * a["centre_tail_std"]
    g = rng.integers(0, G, n)
    zm = rng.standard_normal((n, len(a["member_std"])))
    return C[g] + (zm * a["member_std"]) @ a["member_dirs"] + rng.standard_normal((n, D)) * a["member_tail_std"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="+", help="NPZ:TRUTH.csv pairs (with --check: REAL then SYNTH.npz files)")
    ap.add_argument("--out", help="parameter file to write")
    ap.add_argument("--centre-rank", type=int, default=256)
    ap.add_argument("--member-rank", type=int, default=64)
    ap.add_argument("--check", action="store_true", help="compare statistics of real and synthetic .npz files")
    ap.add_argument("--check-max", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.check:
        for i, spec in enumerate(a.inputs):
            X, _ = load(spec)
            print(json.dumps({"file": spec.split(":")[0], **stats(X, a.check_max)}))
        return
    if not a.out:
        sys.exit("--out PARAMS.bin is required (or --check)")
    Xs, gs, off = [], [], 0
    for spec in a.inputs:
        X, g = load(spec)
        if g is None:
            sys.exit(f"{spec}: give the truth.csv as NPZ:TRUTH.csv")
        Xs.append(X)
        gs.append(g + off)
        off = gs[-1].max() + 1
    X, groups = np.concatenate(Xs), np.concatenate(gs)
    real = stats(X)
    group_size = len(X) / len(np.unique(groups))
    f = fit(X, groups, a.centre_rank, a.member_rank)
    print(f"fit: {f['n']} vectors, {f['G']} groups (mean size {group_size:.1f}), D={f['D']}; "
          f"explicit directions: centre {f['rc']}, member {f['rw']}; power-law slopes: total {f['slope_t']:.2f}, "
          f"within {f['slope_w']:.2f}; extrapolated tails: total {f['tail_t']:.4g}, within {f['tail_w']:.4g} "
          f"(sample within beyond rank {f['rw']}: {f['wtail_total']:.4g}); total variance {f['lam'].sum() + f['tail_t']:.4g}",
          file=sys.stderr)
    target = real["nn10_cos_median"]

    def nn10(s):
        rng = np.random.default_rng(a.seed)
        vals = [stats(sample(arrays(f, s), len(X), group_size, rng))["nn10_cos_median"] for _ in range(3)]
        return float(np.median(vals))

    lo, hi = 0.1, 3.0
    for _ in range(14):
        mid = (lo + hi) / 2
        if nn10(mid) > target:
            lo = mid  # too similar: more member noise
        else:
            hi = mid
    s = (lo + hi) / 2
    arr = arrays(f, s)
    synth = stats(sample(arr, len(X), group_size, np.random.default_rng(a.seed + 1)))
    print(f"fit: member scale s={s:.3f}; real {real}; numpy twin at n={len(X)}: {synth}", file=sys.stderr)
    head = {"format": FORMAT, "dim": f["D"], "centre_rank": f["rc"], "member_rank": f["rw"],
            "group_size": group_size, "real": {**real, "member_scale": s, "groups": f["G"],
                                               "slope_total": f["slope_t"], "slope_within": f["slope_w"]}}
    with open(a.out, "wb") as out:
        out.write((json.dumps(head) + "\n").encode())
        for k in ["mean", "centre_std", "centre_dirs", "centre_tail_std", "member_std", "member_dirs", "member_tail_std"]:
            out.write(np.ascontiguousarray(arr[k], dtype="<f4").tobytes())
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
