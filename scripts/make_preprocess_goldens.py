#!/usr/bin/python3
"""Fixtures and goldens for package embed/preprocess (and testdata/images/).

Run once with Debian's python3 (python3-opencv, python3-torchvision, PIL):

    /usr/bin/python3 scripts/make_preprocess_goldens.py

It writes, all deterministic (seeded):

  embed/preprocess/testdata/
    images/{1.png,2.png,3.png,4.jpg}   synthetic test images (also copied to testdata/images/)
    golden/<image>.blitz.png           uint8 (448,448,3): the image after cv2.imread ->
                                       ToPILImage -> CenterCrop(512) -> Resize(448), i.e.
                                       what ToTensor divides by 255 (channels B, G, R stored
                                       in the PNG's R, G, B: the array's channel i is PNG
                                       channel i)
    golden/<image>.imagenet.png        uint8 (224,224,3): cv2.imread -> BGR2RGB -> ToPILImage
                                       -> Resize(256) -> CenterCrop(224) (channels R, G, B)
    golden/lut.npy                     float32 (2,3,256): the tensor value torchvision gives
                                       each 8-bit level: [0] ToTensor, [1] ToTensor+Normalize
                                       (ImageNet mean/std), per channel
    pixels/<name>.<ext> + <name>.cv2.npy   odd files (orientation, 16-bit, gray, palette,
                                       alpha, CMYK, every chroma subsampling, progressive,
                                       restart markers, tiny sizes) and the array
                                       cv2.imread returns for each (cjpeg, from
                                       libjpeg-turbo-progs, writes some of them)
    bad/                               fuzz seeds and bad-file cases (empty, truncated,
                                       text, HTML, bombs, arithmetic-coded JPEG)
    region/                            larger JPEGs (progressive 4:2:0, 4:2:2, gray) for the
                                       test that decoding only blitz's crop window changes
                                       nothing

The full-tensor goldens are stored as the uint8 images they are made from, so the
fixtures stay small; the script checks that torchvision's float tensor equals
lut[u8] exactly, and the Go test compares its float tensor with lut[u8].

With --cv2-dump OUT --images DIR it instead writes, for every DIR/*.jpg, cv2.imread's
array (<id>.cv2.npy) and the blitz uint8 image (<id>.blitz.npy) for the dev-set
parity test (VECIMG_CV2_DUMP=OUT go test -run DevSet ./embed/preprocess/).
"""
import argparse
import glob
import os
import shutil
import struct
import zlib

import cv2
import numpy as np
import torch
from PIL import Image
from torchvision import transforms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TD = os.path.join(ROOT, "embed", "preprocess", "testdata")

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
BLITZ = transforms.Compose([transforms.ToPILImage(), transforms.CenterCrop(512), transforms.Resize(448)])
IMAGENET = transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.CenterCrop(224)])
TO_TENSOR = transforms.ToTensor()
NORMALIZE = transforms.Normalize(MEAN, STD)


def synth(w, h, seed, gray=False):
    """Gradients, sharp shapes and seeded noise: smooth areas and edges for the resampler."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3), np.float64)
    img[..., 0] = 255 * x / max(w - 1, 1)
    img[..., 1] = 255 * y / max(h - 1, 1)
    img[..., 2] = 128 + 100 * np.sin(x / 23.0 + seed) * np.cos(y / 17.0)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(12):
        c = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        p = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if kind == 0:
            cv2.circle(img, p, int(rng.integers(5, max(6, min(w, h) // 4))), c, -1)
        elif kind == 1:
            q = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.rectangle(img, p, q, c, -1)
        else:
            q = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(img, p, q, c, int(rng.integers(1, 6)))
    # Sparse salt-and-pepper plus a noisy band: exercises every tap of the filter
    # while keeping the PNGs small.
    mask = rng.random((h, w)) < 0.004
    img[mask] = rng.integers(0, 256, (int(mask.sum()), 3), dtype=np.uint8)
    band = slice(h // 3, h // 3 + 6)
    img[band] = np.clip(img[band].astype(np.int16) + rng.integers(-20, 21, img[band].shape), 0, 255).astype(np.uint8)
    if gray:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return img


def save_png(path, arr):
    """An HxWx3 uint8 array as a PNG whose R, G, B hold the array's channels 0, 1, 2."""
    Image.fromarray(arr).save(path, optimize=True)


def luts():
    ramp = np.tile(np.arange(256, dtype=np.uint8), (3, 1)).T.reshape(1, 256, 3)  # 1x256 image, all channels
    t = TO_TENSOR(ramp)  # (3,1,256)
    n = NORMALIZE(t.clone())
    return np.stack([t[:, 0, :].numpy(), n[:, 0, :].numpy()]).astype(np.float32)


def goldens(lut):
    imgdir = os.path.join(TD, "images")
    gdir = os.path.join(TD, "golden")
    os.makedirs(imgdir, exist_ok=True)
    os.makedirs(gdir, exist_ok=True)
    # 1: larger than the crop; 2: smaller, odd sizes (padding, rounding); 3: gray,
    # wider than 512 but shorter (pad one axis, crop the other); 4: baseline 4:2:0 JPEG.
    png9 = [cv2.IMWRITE_PNG_COMPRESSION, 9]
    cv2.imwrite(os.path.join(imgdir, "1.png"), synth(640, 480, 1), png9)
    cv2.imwrite(os.path.join(imgdir, "2.png"), synth(301, 417, 2), png9)
    cv2.imwrite(os.path.join(imgdir, "3.png"), synth(703, 389, 3, gray=True), png9)
    rgb = cv2.cvtColor(synth(600, 520, 4), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb).save(os.path.join(imgdir, "4.jpg"), quality=90, subsampling=2)
    for name in ["1.png", "2.png", "3.png", "4.jpg"]:
        img = cv2.imread(os.path.join(imgdir, name))
        b = np.asarray(BLITZ(img))
        t = TO_TENSOR(BLITZ(img)).numpy()
        assert np.array_equal(t, np.stack([lut[0, c][b[..., c]] for c in range(3)])), name
        save_png(os.path.join(gdir, name + ".blitz.png"), b)
        rgbimg = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        i = np.asarray(IMAGENET(rgbimg))
        t = NORMALIZE(TO_TENSOR(IMAGENET(rgbimg))).numpy()
        assert np.array_equal(t, np.stack([lut[1, c][i[..., c]] for c in range(3)])), name
        save_png(os.path.join(gdir, name + ".imagenet.png"), i)
        print(name, img.shape, "->", b.shape, i.shape, os.path.getsize(os.path.join(imgdir, name)), "bytes")
    np.save(os.path.join(gdir, "lut.npy"), lut)
    top = os.path.join(ROOT, "testdata", "images")
    os.makedirs(top, exist_ok=True)
    for name in ["1.png", "2.png", "3.png", "4.jpg"]:
        shutil.copyfile(os.path.join(imgdir, name), os.path.join(top, name))


def pixels():
    """Odd but valid files, each with the array cv2.imread gives for it."""
    d = os.path.join(TD, "pixels")
    os.makedirs(d, exist_ok=True)
    os.makedirs(os.path.join(TD, "bad"), exist_ok=True)
    for f in glob.glob(os.path.join(d, "*")):
        os.remove(f)
    rng = np.random.default_rng(11)
    base = cv2.cvtColor(synth(53, 37, 5), cv2.COLOR_BGR2RGB)  # RGB, 53 wide, 37 high
    files = []

    def add(name, write):
        path = os.path.join(d, name)
        write(path)
        files.append(path)

    # EXIF orientation 1..8 in JPEG (APP1) and PNG (eXIf).
    for o in range(1, 9):
        ex = Image.Exif()
        ex[0x0112] = o
        add(f"orient{o}.png", lambda p, ex=ex: Image.fromarray(base).save(p, exif=ex.tobytes()))
        add(f"orient{o}.jpg", lambda p, ex=ex: Image.fromarray(base).save(p, quality=95, subsampling=0, exif=ex.tobytes()))
    # cv2 applies a PNG's eXIf chunk even when it follows the image data.
    def late_exif(p):
        Image.fromarray(base).save(p)
        data = open(p, "rb").read()
        ex = Image.Exif()
        ex[0x0112] = 6
        tiff = ex.tobytes()[6:]  # drop the "Exif\0\0" prefix
        i = data.index(b"IEND") - 4
        open(p, "wb").write(data[:i] + png_chunk(b"eXIf", tiff) + data[i:])
    add("orient6_after_idat.png", late_exif)
    g = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    add("gray.png", lambda p: Image.fromarray(g, "L").save(p))
    add("gray_alpha.png", lambda p: Image.fromarray(np.dstack([g, g[::-1]]), "LA").save(p))
    add("gray.jpg", lambda p: Image.fromarray(g, "L").save(p, quality=90))
    add("bilevel.png", lambda p: Image.fromarray(g > 128).save(p))
    add("rgba.png", lambda p: Image.fromarray(np.dstack([base, rng.integers(0, 256, (37, 53), dtype=np.uint8)]), "RGBA").save(p))
    add("rgb16.png", lambda p: cv2.imwrite(p, rng.integers(0, 65536, (37, 53, 3), dtype=np.uint16)))
    add("rgba16.png", lambda p: cv2.imwrite(p, rng.integers(0, 65536, (37, 53, 4), dtype=np.uint16)))
    add("gray16.png", lambda p: cv2.imwrite(p, rng.integers(0, 65536, (37, 53), dtype=np.uint16)))
    pal = Image.fromarray(base).quantize(16)
    add("palette.png", lambda p: pal.save(p))
    add("palette_trns.png", lambda p: pal.save(p, transparency=3))
    add("cmyk.jpg", lambda p: Image.fromarray(base).convert("CMYK").save(p, quality=95))
    for ss, tag in [(0, "444"), (1, "422"), (2, "420")]:
        add(f"sub{tag}.jpg", lambda p, ss=ss: Image.fromarray(base).save(p, quality=85, subsampling=ss))
    # 4:4:0 (vertical-only chroma subsampling): PIL cannot write it; cjpeg can.
    ppm = os.path.join(d, "tmp.ppm")
    Image.fromarray(base).save(ppm)
    add("sub440.jpg", lambda p: os.system(f"cjpeg -quality 85 -sample 1x2,1x1,1x1 -outfile {p} {ppm}") == 0 or exit("cjpeg failed"))
    add("progressive.jpg", lambda p: Image.fromarray(base).save(p, quality=85, progressive=True))
    # More libjpeg-written variants: restart markers, 4:1:1, progressive with
    # restarts, gray progressive, optimised Huffman tables, RGB-coded (which
    # our decoder leaves to Go's image/jpeg).
    gray_ppm = os.path.join(d, "tmp.pgm")
    Image.fromarray(base).convert("L").save(gray_ppm)
    for name, args, src in [
        ("restart.jpg", "-quality 80 -restart 3B", ppm),
        ("sub411.jpg", "-quality 85 -sample 4x1,1x1,1x1", ppm),
        ("progressive_restart.jpg", "-quality 85 -progressive -restart 2B", ppm),
        ("progressive_gray.jpg", "-quality 85 -progressive", gray_ppm),
        ("optimized.jpg", "-quality 75 -optimize -sample 2x2,1x1,1x1", ppm),
        ("rgb.jpg", "-quality 90 -rgb", ppm),
    ]:
        add(name, lambda p, args=args, src=src: os.system(f"cjpeg {args} -outfile {p} {src}") == 0 or exit("cjpeg failed"))
    os.system(f"cjpeg -quality 85 -arithmetic -outfile {os.path.join(TD, 'bad', 'arithmetic.jpg')} {ppm}")
    os.remove(ppm)
    os.remove(gray_ppm)
    # Tiny 4:2:0 JPEGs: libjpeg replicates chroma when a plane is <= 2 samples wide.
    for w, h in [(1, 1), (2, 3), (3, 2), (4, 4), (5, 3), (6, 7), (17, 9)]:
        add(f"tiny{w}x{h}.jpg", lambda p, w=w, h=h: Image.fromarray(base[:h, :w].copy()).save(p, quality=80, subsampling=2))
    # GIF: cv2 4.6 has no GIF reader; the expected array is PIL's RGB of frame 0, as BGR.
    add("anim.gif", lambda p: pal.save(p, save_all=True, append_images=[Image.fromarray(base[::-1].copy()).quantize(16)]))
    for path in files:
        if path.endswith(".gif"):
            arr = np.asarray(Image.open(path).convert("RGB"))[..., ::-1]
        else:
            arr = cv2.imread(path, cv2.IMREAD_COLOR)
        assert arr is not None, path
        np.save(path + ".cv2.npy", np.ascontiguousarray(arr))
    print(len(files), "pixel fixtures")


def region():
    """Larger JPEGs whose blitz crop window lies inside the image, in layouts
    where decoding only the window must give the same tensor as decoding all."""
    d = os.path.join(TD, "region")
    os.makedirs(d, exist_ok=True)
    rgb = cv2.cvtColor(synth(777, 601, 6), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb).save(os.path.join(d, "progressive420_777x601.jpg"), quality=70, subsampling=2, progressive=True)
    rgb = cv2.cvtColor(synth(641, 690, 7), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb).save(os.path.join(d, "baseline422_641x690.jpg"), quality=70, subsampling=1)
    Image.fromarray(rgb).convert("L").save(os.path.join(d, "gray_641x690.jpg"), quality=70)
    print("region files:", sorted(os.listdir(d)))


def png_chunk(typ, data):
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data) & 0xFFFFFFFF)


def bad():
    d = os.path.join(TD, "bad")
    jpg = open(os.path.join(TD, "images", "4.jpg"), "rb").read()
    with open(os.path.join(d, "empty.jpg"), "wb"):
        pass
    open(os.path.join(d, "truncated.jpg"), "wb").write(jpg[: len(jpg) * 6 // 10])
    open(os.path.join(d, "header_only.jpg"), "wb").write(jpg[:700])
    open(os.path.join(d, "text.jpg"), "w").write("This is not a picture.\nJust some notes saved with the wrong extension.\n")
    open(os.path.join(d, "page.png"), "w").write("<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n")
    # A PNG whose header claims 100000x100000 RGB pixels, with one tiny IDAT.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b"")
    open(os.path.join(d, "bomb.png"), "wb").write(bomb)
    # A JPEG whose SOF0 claims 65000x65000: patch the real JPEG's frame header.
    i = jpg.index(b"\xff\xc0")
    patched = jpg[: i + 5] + struct.pack(">HH", 65000, 65000) + jpg[i + 9 :]
    open(os.path.join(d, "bomb.jpg"), "wb").write(patched[:4096])
    # A GIF whose logical screen claims 65535x65535.
    gif = bytearray(open(os.path.join(TD, "pixels", "anim.gif"), "rb").read())
    gif[6:10] = struct.pack("<HH", 65535, 65535)
    open(os.path.join(d, "bomb.gif"), "wb").write(bytes(gif))
    print("bad files:", sorted(os.listdir(d)))


def cv2_dump(out, images, limit):
    os.makedirs(out, exist_ok=True)
    paths = sorted(glob.glob(os.path.join(images, "*.jpg")))
    if limit:
        paths = paths[:limit]
    for p in paths:
        stem = os.path.splitext(os.path.basename(p))[0]
        img = cv2.imread(p)
        np.save(os.path.join(out, stem + ".cv2.npy"), img)
        np.save(os.path.join(out, stem + ".blitz.npy"), np.asarray(BLITZ(img)))
    print(len(paths), "images dumped to", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv2-dump", metavar="OUT")
    ap.add_argument("--images", default=os.path.join(ROOT, "..", "shared", "data", "dev-set", "test"))
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    print("cv2", cv2.__version__, "torch", torch.__version__, "PIL", Image.__version__)
    if a.cv2_dump:
        cv2_dump(a.cv2_dump, a.images, a.limit)
        return
    goldens(luts())
    pixels()
    bad()
    region()


if __name__ == "__main__":
    main()
