"""Near-duplicate calibration set and evaluation for `vecimg dups`.

  calibrate.py make --out DIR [--seed 1]
      Picks the photos shipped in Debian's opencv-doc and python3-skimage
      packages (the dev-set's sources), writes each as DIR/images/oNNN__orig.png
      and 17 variants of it (JPEG quality 30/50/70/90, resize to 25/50/150/200 %,
      crop 0-10 % per side and 10 % per side, brightness and contrast +-20 %, a
      text and a logo watermark, gray), and DIR/truth.csv (id, original, family,
      transform).

  calibrate.py eval --dir DIR --npz vectors.npz [--dups dups.json]
      Reads vecimg's exported vectors (`vecimg export --out vectors.npz`),
      computes 64-bit pHash and dHash of every image as imagededup does
      (grayscale after a Lanczos resize to 32x32 / 9x8; pHash = top-left 8x8 of
      the 2-D DCT-II (scipy.fftpack) >= their median without the DC term; dHash
      = left pixel < right pixel), and prints markdown tables of pair precision
      and recall: a sweep of the cosine distance D for vecimg, and per
      transformation for vecimg at each --at D and for both hashes at their
      imagededup default Hamming threshold (10). With --dups (the JSON of
      `vecimg dups --json`) it also scores the groups the command produced.

Pairs. Every unordered pair of images is a positive when both come from the
same original, a negative when they come from unrelated originals, and is left
out when they come from different originals of one "family" (stereo pairs,
sequences and before/after shots shipped together, e.g. left01..left14,
aloeL/aloeR, ela_original/ela_modified): those are genuinely near-identical
scenes and would count as false positives otherwise. A pair is predicted
positive when its distance is <= the threshold (pairwise, no transitive
closure; imagededup's find_duplicates works the same way). Per transformation
t: recall = share of the (original, t-variant) pairs found; precision = share
of positives among the predicted pairs that contain a t-variant.

Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy, python3-scipy).
"""
import argparse, csv, glob, hashlib, os, random, re, sys

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

SOURCES = [
    "/usr/share/doc/opencv-doc/examples/data/*",
    "/usr/share/doc/opencv-doc/examples/*/*",
    "/usr/share/doc/opencv-doc/examples/*/*/*/*",
    "/usr/lib/python3/dist-packages/skimage/data/*",
]
EXTS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
MIN_SIDE, MIN_BYTES = 120, 5000
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

TRANSFORMS = [
    "jpeg_q30", "jpeg_q50", "jpeg_q70", "jpeg_q90",
    "resize_25", "resize_50", "resize_150", "resize_200",
    "crop_rand10", "crop_10",
    "bright_+20", "bright_-20", "contrast_+20", "contrast_-20",
    "wm_text", "wm_logo", "gray",
]


def family(path):
    """Name shared by originals that show the same scene."""
    n = os.path.splitext(os.path.basename(path))[0].lower()
    n = re.sub(r"_(original|modified|gray|rgb|u16b?|left|right|motion|defocus)$", "", n)
    n = re.sub(r"(gt|[lr])$", "", n) if re.match(r"aloe", n) else n
    n = re.sub(r"^(left|right)$", "stereo_left_right", n)
    n = re.sub(r"^(left|right)\d+$", "chessboard", n)
    n = re.sub(r"^(polygonstanfordoutput)$", "stanford", n)
    n = re.sub(r"^(opencv-logo)(-white)?$", r"\1", n)
    n = re.sub(r"^(leuven|graf|aero|pic|rubberwhale|basketball|blender_suzanne|scenetext_segmented_word|scenetext)[a-z]?\d*$", r"\1", n)
    n = re.sub(r"^(box|box_in_scene)$", "box", n)
    n = re.sub(r"^(imagetext)[nr]$", r"\1", n)
    n = re.sub(r"^(chessboard)(_gray|_rgb)?.*$", r"\1", n)
    n = re.sub(r"^(motorcycle)_.*$", r"\1", n)
    n = re.sub(r"^(text)_.*$", r"\1", n)
    n = re.sub(r"^(lr)_\d+$", r"\1", n)
    return n


def originals():
    seen, out = set(), []
    for p in sorted({f for g in SOURCES for f in glob.glob(g)}):
        if not p.lower().endswith(EXTS) or "/html/" in p or os.path.getsize(p) < MIN_BYTES:
            continue
        try:
            im = Image.open(p)
            im.load()
        except Exception:
            continue
        if im.mode in ("1", "P", "I;16", "I;16B", "I", "F") or min(im.size) < MIN_SIDE:
            continue  # masks, palettes of a few colours, 16-bit test images, tiny crops
        im = flatten(im)
        digest = hashlib.sha256(im.tobytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        out.append((p, im))
    return out


def flatten(im):
    """RGB (or L) without alpha, composited on white."""
    if im.mode in ("RGBA", "LA"):
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im.convert("RGBA"), mask=im.convert("RGBA").split()[-1])
        return bg
    return im.convert("L") if im.mode == "L" else im.convert("RGB")


def font(size):
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def watermark_text(im):
    im = im.convert("RGB")
    w, h = im.size
    size = max(10, w // 24)
    d = ImageDraw.Draw(im)
    text = "(c) 2026 vecimg"
    x, y = int(w * 0.03), int(h - size * 1.6)
    d.text((x, y), text, font=font(size), fill=(255, 255, 255), stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
    return im


def watermark_logo(im):
    im = im.convert("RGBA")
    w, h = im.size
    s = max(16, min(w, h) // 6)
    logo = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(logo)
    d.ellipse((0, 0, s - 1, s - 1), fill=(255, 255, 255, 150), outline=(20, 20, 120, 200), width=max(1, s // 16))
    d.rectangle((s // 4, s // 4, 3 * s // 4, 3 * s // 4), fill=(200, 30, 30, 150))
    d.text((s // 3, s // 3), "V", font=font(max(8, s // 3)), fill=(255, 255, 255, 220))
    im.alpha_composite(logo, (w - s - w // 30, h - s - h // 30))
    return im.convert("RGB")


def variant(im, t, rng):
    w, h = im.size
    if t.startswith("jpeg_q"):
        return im, int(t[6:])
    if t.startswith("resize_"):
        f = int(t[7:]) / 100
        return im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.LANCZOS), 95
    if t == "crop_10":
        return im.crop((round(w * .1), round(h * .1), w - round(w * .1), h - round(h * .1))), 95
    if t == "crop_rand10":
        l, r, u, b = (rng.uniform(0, .1) for _ in range(4))
        return im.crop((round(w * l), round(h * u), w - round(w * r), h - round(h * b))), 95
    if t.startswith("bright_"):
        return ImageEnhance.Brightness(im).enhance(1 + int(t[7:]) / 100), 95
    if t.startswith("contrast_"):
        return ImageEnhance.Contrast(im).enhance(1 + int(t[9:]) / 100), 95
    if t == "wm_text":
        return watermark_text(im), 95
    if t == "wm_logo":
        return watermark_logo(im), 95
    if t == "gray":
        return ImageOps.grayscale(im), 95
    raise ValueError(t)


def cmd_make(a):
    rng = random.Random(a.seed)
    src = originals()
    img_dir = os.path.join(a.out, "images")
    os.makedirs(img_dir, exist_ok=True)
    rows = []
    for i, (path, im) in enumerate(src):
        oid = f"o{i:03d}"
        name = f"{oid}__orig"
        im.save(os.path.join(img_dir, name + ".png"))
        fam = family(path)
        rows.append((name, oid, fam, "orig", path))
        for t in TRANSFORMS:
            v, q = variant(im, t, rng)
            name = f"{oid}__{t}"
            v.save(os.path.join(img_dir, name + ".jpg"), quality=q)
            rows.append((name, oid, fam, t, path))
    with open(os.path.join(a.out, "truth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "original", "family", "transform", "source"])
        w.writerows(rows)
    fams = {r[2] for r in rows}
    print(f"{len(rows)} images: {len(src)} originals x (1 + {len(TRANSFORMS)} variants), {len(fams)} families -> {a.out}")


# --- hashes, as imagededup computes them --------------------------------------

def _prep(path, size):
    im = Image.open(path)
    im = im.convert("RGBA").convert("RGB") if im.mode != "RGB" else im
    return np.asarray(im.resize(size, Image.LANCZOS).convert("L"), dtype=np.float64)


def phash(path):
    from scipy.fftpack import dct
    a = _prep(path, (32, 32))
    c = dct(dct(a, axis=0), axis=1)[:8, :8]
    return np.packbits(c >= np.median(c.flatten()[1:]))


def dhash(path):
    a = _prep(path, (9, 8))
    return np.packbits(a[:, 1:] > a[:, :-1])


def hamming_matrix(h):
    x = np.unpackbits(h, axis=1).astype(np.int16)  # n x 64
    return (x[:, None, :] != x[None, :, :]).sum(-1)


# --- evaluation ----------------------------------------------------------------

def pr(pred, pos, neg):
    tp = int((pred & pos).sum())
    fp = int((pred & neg).sum())
    npos = int(pos.sum())
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / npos if npos else float("nan")
    return p, r, tp, fp


def f(x):
    return "—" if x != x else f"{x:.3f}"


def cmd_eval(a):
    with open(os.path.join(a.dir, "truth.csv")) as fh:
        truth = list(csv.DictReader(fh))
    d = np.load(a.npz)
    pos_of = {str(k): i for i, k in enumerate(d["ids"])}
    missing = [r["id"] for r in truth if r["id"] not in pos_of]
    if missing:
        sys.exit(f"{len(missing)} images of truth.csv are not in {a.npz} (first: {missing[:3]}): ingest {a.dir}/images again")
    ids = [r["id"] for r in truth]
    v = d["vectors"][[pos_of[i] for i in ids]].astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dist = 1 - v @ v.T
    n = len(ids)
    orig = np.array([r["original"] for r in truth])
    fam = np.array([r["family"] for r in truth])
    tr = np.array([r["transform"] for r in truth])
    files = {os.path.splitext(p)[0]: p for p in os.listdir(os.path.join(a.dir, "images"))}
    paths = [os.path.join(a.dir, "images", files[i]) for i in ids]
    ph = hamming_matrix(np.stack([phash(p) for p in paths]))
    dh = hamming_matrix(np.stack([dhash(p) for p in paths]))

    iu = np.triu(np.ones((n, n), bool), 1)
    same = orig[:, None] == orig[None, :]
    samefam = fam[:, None] == fam[None, :]
    pos = same & iu
    neg = ~samefam & iu
    ignored = int((samefam & ~same & iu).sum())
    is_orig = tr == "orig"
    print(f"{n} images, {len(set(orig))} originals in {len(set(fam))} families; "
          f"{int(pos.sum())} positive pairs, {int(neg.sum())} negative pairs, {ignored} same-family pairs left out\n")

    # distance distributions
    qs = [0, .01, .05, .5, .95, .99, 1]
    print("| cosine distance | " + " | ".join(f"q{int(q*100)}" for q in qs) + " |")
    print("|---|" + "---:|" * len(qs))
    for name, m in [("positive pairs", pos), ("negative pairs", neg)]:
        x = dist[m]
        print(f"| {name} | " + " | ".join(f"{np.quantile(x, q):.4f}" for q in qs) + " |")
    print()

    sweep = [float(s) for s in a.sweep.split(",")]
    print("Sweep of D (vecimg, pairwise cosine distance <= D), all pairs:\n")
    print("| D | precision | recall | TP | FP | F1 |")
    print("|---:|---:|---:|---:|---:|---:|")
    best = None
    for D in sweep:
        p, r, tp, fp = pr(dist <= D, pos, neg)
        f1 = 2 * p * r / (p + r) if p == p and p + r else float("nan")
        print(f"| {D:g} | {f(p)} | {f(r)} | {tp} | {fp} | {f(f1)} |")
        if p == p and p >= a.min_precision and (best is None or r > best[1]):
            best = (D, r, p)
    if best:
        print(f"\nLargest-recall D with precision >= {a.min_precision}: D = {best[0]:g} (precision {best[2]:.3f}, recall {best[1]:.3f})")
    for name, h in [("pHash", ph), ("dHash", dh)]:
        p, r, tp, fp = pr(h <= a.hash_threshold, pos, neg)
        print(f"{name} (Hamming <= {a.hash_threshold}), all pairs: precision {f(p)}, recall {f(r)} (TP {tp}, FP {fp})")
    print()

    methods = [(f"vecimg D={D:g}", dist <= D) for D in [float(s) for s in a.at.split(",")]]
    methods += [(f"pHash <= {a.hash_threshold}", ph <= a.hash_threshold), (f"dHash <= {a.hash_threshold}", dh <= a.hash_threshold)]
    print("Per transformation: recall of (original, variant) pairs / precision of predicted pairs that contain the variant:\n")
    print("| transformation | " + " | ".join(f"{m} R | {m} P" for m, _ in methods) + " |")
    print("|---|" + "---:|---:|" * len(methods))
    sym = lambda m: m | m.T
    for t in TRANSFORMS + ["all variants"]:
        is_t = (tr == t) if t != "all variants" else ~is_orig
        ov = (is_orig[:, None] & is_t[None, :]) | (is_t[:, None] & is_orig[None, :])
        ovpos = ov & same & iu
        touches = (is_t[:, None] | is_t[None, :]) & iu
        cells = []
        for _, pred in methods:
            pred = sym(pred) & iu
            r = (pred & ovpos).sum() / ovpos.sum()
            tp = (pred & touches & pos).sum()
            fp = (pred & touches & neg).sum()
            p = tp / (tp + fp) if tp + fp else float("nan")
            cells += [f(r), f(p)]
        print(f"| {t} | " + " | ".join(cells) + " |")
    print()

    if a.dups:
        import json
        with open(a.dups) as fh:
            res = json.load(fh)
        # an identical group's kept file can also be in a near group: join them
        parent = {}
        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for g in res["groups"]:
            for m in g["members"]:
                parent[find(m["id"])] = find(g["members"][0]["id"])
        grp = {i: find(i) for i in parent}
        gid = np.array([grp.get(i, -1 - k) for k, i in enumerate(ids)])
        pred = (gid[:, None] == gid[None, :]) & iu
        p, r, tp, fp = pr(pred, pos, neg)
        sizes = [len(g["members"]) for g in res["groups"]]
        print(f"`vecimg dups` groups (threshold {res.get('threshold')}): {len(sizes)} groups, sizes max {max(sizes, default=0)}, "
              f"median {int(np.median(sizes)) if sizes else 0}; pairs in the same group: precision {f(p)}, recall {f(r)} (TP {tp}, FP {fp})")
        for t in TRANSFORMS:
            is_t = tr == t
            ov = ((is_orig[:, None] & is_t[None, :]) | (is_t[:, None] & is_orig[None, :])) & same & iu
            print(f"  {t}: recall {f((pred & ov).sum() / ov.sum())}", end=";" if t != TRANSFORMS[-1] else "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=1)
    e = sub.add_parser("eval")
    e.add_argument("--dir", required=True)
    e.add_argument("--npz", required=True)
    e.add_argument("--sweep", default="0.001,0.002,0.003,0.004,0.005,0.006,0.008,0.01,0.0125,0.015,0.02,0.03,0.05,0.1,0.2")
    e.add_argument("--at", default="0.1", help="comma-separated D values for the per-transformation table")
    e.add_argument("--min-precision", type=float, default=0.99)
    e.add_argument("--hash-threshold", type=int, default=10, help="imagededup's default max_distance_threshold")
    e.add_argument("--dups", help="JSON output of `vecimg dups --json` on the same store")
    a = ap.parse_args()
    cmd_make(a) if a.cmd == "make" else cmd_eval(a)


if __name__ == "__main__":
    main()
