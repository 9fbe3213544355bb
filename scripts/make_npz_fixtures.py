#!/usr/bin/python3
"""Writes the small .npz fixtures of internal/npz/testdata with numpy itself
(np.savez / np.savez_compressed), so that the reader is tested on files numpy
wrote, good and bad. Run with Debian's /usr/bin/python3 (python3-numpy):
    /usr/bin/python3 scripts/make_npz_fixtures.py
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "internal", "npz", "testdata")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
vec = rng.standard_normal((6, 8)).astype(np.float32)
ids = np.array(["a", "b", "c/d", "12", "éé", "long-id-" + "x" * 20])


def save(name, compressed=False, **arrays):
    f = np.savez_compressed if compressed else np.savez
    f(os.path.join(out, name), **arrays)


save("good.npz", ids=ids, vectors=vec)
save("good_compressed_bytes.npz", compressed=True, ids=ids[:4].astype("S"), vectors=vec[:4])
save("good_bigendian.npz", ids=ids, vectors=vec.astype(">f4"), labels=np.arange(6, dtype=np.int32))
save("float64.npz", ids=ids, vectors=vec.astype(np.float64))
save("int_ids.npz", ids=np.arange(6), vectors=vec)
ragged = np.empty(2, dtype=object)
ragged[0], ragged[1] = [1.0, 2.0], [3.0]
save("ragged.npz", ids=ids[:2], vectors=ragged)
save("object_ids.npz", ids=np.array(["a", 1], dtype=object), vectors=vec[:2])
bad = vec.copy(); bad[3, 5] = np.nan
save("nan.npz", ids=ids, vectors=bad)
bad = vec.copy(); bad[1, 0] = np.inf
save("inf.npz", ids=ids, vectors=bad)
bad = vec.copy(); bad[2] = 0
save("zero_row.npz", ids=ids, vectors=bad)
save("duplicate_ids.npz", ids=np.array(["a", "b", "c", "b", "e", "f"]), vectors=vec)
save("empty_id.npz", ids=np.array(["a", "", "c", "d", "e", "f"]), vectors=vec)
save("fortran.npz", ids=ids, vectors=np.asfortranarray(vec))
save("count_mismatch.npz", ids=ids[:5], vectors=vec)
save("no_ids.npz", vectors=vec)
save("vectors_1d.npz", ids=ids, vectors=vec[:, 0].copy())

# The expected content of good.npz, for the Go test (float32 values are
# exact as JSON doubles).
import json
with open(os.path.join(out, "good.json"), "w") as f:
    json.dump({"ids": [str(i) for i in ids], "vectors": [[float(x) for x in row] for row in vec]}, f)
