"""Quality of int8 vectors against fp32 ones (bench/int8.sh).

    metrics.py FP32.npz INT8.npz      (vecimg export files: ids, vectors)

Prints the cosine of each image's int8 vector to its fp32 vector (min, mean, and the
worst images), the overlap of each image's 10 nearest neighbours (cosine, itself left
out) under int8 with those under fp32 (mean, min), and the adjusted Rand index of
k = 5 labels (scikit-learn KMeans(n_clusters=5, random_state=42, n_init=10), the
recipe's clustering) of int8 against fp32.
"""
import sys
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score


def load(path):
    d = np.load(path)
    return [str(i) for i in d["ids"]], d["vectors"].astype(np.float64)


def unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


ids_a, a = load(sys.argv[1])
ids_b, b = load(sys.argv[2])
pos = {k: i for i, k in enumerate(ids_b)}
missing = [i for i in ids_a if i not in pos]
if missing or len(ids_a) != len(ids_b):
    sys.exit(f"the two stores hold different images ({len(ids_a)} and {len(ids_b)}; missing {missing[:5]})")
b = b[[pos[i] for i in ids_a]]
ua, ub = unit(a), unit(b)
cos = (ua * ub).sum(1)
worst = np.argsort(cos)[:3]
print(f"cosine int8 to fp32 over {len(cos)} images: min {cos.min():.5f}  mean {cos.mean():.5f}"
      f"  (lowest: {', '.join(f'{ids_a[i]}={cos[i]:.5f}' for i in worst)})")

k = 10
def neighbours(u):
    s = u @ u.T
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1)[:, :k]
na, nb = neighbours(ua), neighbours(ub)
ov = np.array([len(set(x) & set(y)) / k for x, y in zip(na, nb)])
print(f"top-{k} neighbour overlap with fp32: mean {ov.mean():.4f}  min {ov.min():.2f}"
      f"  (images below 0.8: {(ov < 0.8).sum()})")

la = KMeans(n_clusters=5, random_state=42, n_init=10).fit(a).labels_
lb = KMeans(n_clusters=5, random_state=42, n_init=10).fit(b).labels_
print(f"ARI of k=5 KMeans labels, int8 vs fp32: {adjusted_rand_score(la, lb):.4f}")
