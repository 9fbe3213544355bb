"""Make N distinct JPEGs (500-1000 px a side) by seeded random crops, flips and
rescales of the photos in SRC. Runs on the GPU machine with its python3 + PIL.
    python3 make_images.py SRC DST N
"""
import os, random, sys
from PIL import Image

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst, exist_ok=True)
photos = [Image.open(os.path.join(src, f)).convert("RGB") for f in sorted(os.listdir(src))]
rng = random.Random(42)
for i in range(n):
    im = rng.choice(photos)
    w, h = im.size
    cw, ch = rng.randint(w // 2, w), rng.randint(h // 2, h)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    out = im.crop((x, y, x + cw, y + ch))
    side = rng.randint(500, 1000)
    scale = side / max(out.size)
    out = out.resize((max(1, int(out.size[0] * scale)), max(1, int(out.size[1] * scale))), Image.BILINEAR)
    if rng.random() < 0.5:
        out = out.transpose(Image.FLIP_LEFT_RIGHT)
    out.save(os.path.join(dst, f"{i}.jpg"), quality=rng.randint(80, 95))
