#!/usr/bin/python3
"""Write the committed test fixtures of embed/vgg: a tiny VGG16 state_dict and
the fc6 outputs PyTorch computes from it.

Run once with Debian's python3-torch (CI never runs it; its outputs are
committed):

    /usr/bin/python3 scripts/make_model_fixtures.py [--out embed/vgg/testdata]

It writes
  vgg16_w32_legacy.pth   the state_dict in torch's legacy (pre-zip) format,
                         like torchvision's vgg16-397923af.pth
  vgg16_w32_zip.pth      the same state_dict in the zip format current torch writes
  fc6_s<S>.f32           fc6 outputs, little-endian float32, shape [batch, dim]
  golden.json            shapes, per-tensor SHA-256 of the weights, the cases

The network is torchvision's VGG16 with every layer 32x narrower (same keys),
built by ../shared/ref/make_vgg16_weights.py when that file is there, with
non-zero biases so that a bias bug shows.

With --full WEIGHTS it writes nothing to testdata: it computes fc6 for one
448x448 input (seed 7) from a full-size weights file (make_vgg16_weights.py
--width 1) into --full-out, for the optional full-size ONNX Runtime check
(VECIMG_FULL_WEIGHTS / VECIMG_FULL_GOLDEN, TestORTFullSize in
embed/graph_golden_test.go).

Inputs are not stored: both this script and the Go tests derive them from a
splitmix64 counter stream (see inputs() below and GoldenInput in
embed/internal/fixture), so any input size can be checked without committing
megabytes of pixels.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "shared", "ref")

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def build_fallback(width):
    """The same architecture as make_vgg16_weights.build, for checkouts
    without ../shared/ref."""
    layers, c_in = [], 3
    for v in CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            c = v // width
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(inplace=True)]
            c_in = c
    m = nn.Module()
    m.features = nn.Sequential(*layers)
    m.avgpool = nn.AdaptiveAvgPool2d((7, 7))
    hid = 4096 // width
    m.classifier = nn.Sequential(
        nn.Linear(c_in * 49, hid), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hid, hid), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hid, 1000))
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(mod.bias, 0)
        elif isinstance(mod, nn.Linear):
            nn.init.normal_(mod.weight, 0, 0.01)
            nn.init.constant_(mod.bias, 0)
    return m


def build(width):
    if os.path.exists(os.path.join(REF, "make_vgg16_weights.py")):
        sys.path.insert(0, REF)
        from make_vgg16_weights import build as ref_build
        return ref_build(width)
    return build_fallback(width)


MASK = (1 << 64) - 1


def inputs(seed, shape):
    """Deterministic float32 values in [0, 1): element k (row-major) is the top
    24 bits of splitmix64's output for state seed + (k+1)*0x9E3779B97F4A7C15,
    divided by 2^24. The Go test computes the same stream."""
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        k = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed & MASK) + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    v = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return v.astype(np.float32).reshape(shape)


def fc6(model, x):
    with torch.no_grad():
        y = model.features(x)
        y = model.avgpool(y)
        y = torch.flatten(y, 1)
        return model.classifier[0](y)


FULL_SEED, FULL_SIZE = 7, 448


def full_golden(weights, out):
    sd = torch.load(weights, map_location="cpu")
    width = 64 // sd["features.0.weight"].shape[0]
    m = build(width).eval()
    m.load_state_dict(sd)
    x = inputs(FULL_SEED, (1, 3, FULL_SIZE, FULL_SIZE))
    y = fc6(m, torch.from_numpy(x)).numpy().astype("<f4")
    y.tofile(out)
    print(f"{weights}: width {width}, fc6 {tuple(y.shape)} for input seed {FULL_SEED} at {FULL_SIZE} -> {out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "embed", "vgg", "testdata"))
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bias-std", type=float, default=0.01)
    ap.add_argument("--batch", type=int, default=2)
    # 32: F=1 (pool replicates), 64/96: F=2/3 (overlapping windows),
    # 224: F=7 (identity), 320: F=10 (uneven windows), 448: F=14 (2x2 average)
    ap.add_argument("--sizes", default="32,64,96,224,320,448")
    ap.add_argument("--full", help="full-size weights file: write one fc6 golden for it and exit")
    ap.add_argument("--full-out", default="/tmp/vgg16_full_fc6.f32")
    a = ap.parse_args()
    if a.full:
        return full_golden(a.full, a.full_out)
    os.makedirs(a.out, exist_ok=True)

    torch.manual_seed(a.seed)
    m = build(a.width).eval()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n.endswith("bias"):
                p.normal_(0, a.bias_std)
    sd = m.state_dict()

    base = f"vgg16_w{a.width}"
    legacy = base + "_legacy.pth"
    zipped = base + "_zip.pth"
    torch.save(sd, os.path.join(a.out, legacy), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(a.out, zipped), _use_new_zipfile_serialization=True)

    tensors = []
    for key, t in sd.items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        tensors.append({"key": key, "shape": list(t.shape), "sha256": hashlib.sha256(b).hexdigest()})

    cases = []
    for i, s in enumerate(int(v) for v in a.sizes.split(",")):
        seed = 1000 + i
        x = inputs(seed, (a.batch, 3, s, s))
        y = fc6(m, torch.from_numpy(x)).numpy().astype("<f4")
        name = f"fc6_s{s}.f32"
        y.tofile(os.path.join(a.out, name))
        cases.append({
            "size": s, "batch": a.batch, "input_seed": seed,
            "input_sum": float(x.astype(np.float64).sum()),
            "input_head": [float(v) for v in x.reshape(-1)[:4]],
            "output": name, "dim": int(y.shape[1]),
        })
        print(f"size {s}: fc6 {tuple(y.shape)}, |y|max {np.abs(y).max():.4g}", file=sys.stderr)

    meta = {
        "generator": "scripts/make_model_fixtures.py",
        "torch": torch.__version__,
        "width": a.width, "seed": a.seed, "bias_std": a.bias_std,
        "legacy": legacy, "zip": zipped,
        "tensors": tensors,
        "cases": cases,
    }
    with open(os.path.join(a.out, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    for n in (legacy, zipped):
        print(n, os.path.getsize(os.path.join(a.out, n)), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
