#!/usr/bin/python3
"""Fixture photos for the `vecimg serve` browser test (internal/server/testdata/photos).

Takes three dev-set images from each of six source photos (the dev set is made by
../shared/ref/make_dataset.py from photos in Debian's opencv-doc and
python3-skimage), shrinks them to at most 200 px and writes <ImageID>.jpg.
Run once with Debian's /usr/bin/python3 (python3-pil); CI never runs it. Also writes ../query.jpg, a
fourth butterfly that is not stored, to search with.

    /usr/bin/python3 scripts/make_serve_photos.py /work/shared/data/dev-set internal/server/testdata/photos
"""
import csv, os, sys
from PIL import Image

GROUPS = [7, 10, 11, 14, 16, 23]  # HappyFish, apple, baboon, butterfly, fruits, starry_night
PER_GROUP = 3


def main():
    devset, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    by_group = {}
    with open(os.path.join(devset, "truth.csv")) as f:
        for row in csv.DictReader(f):
            by_group.setdefault(int(row["group"]), []).append(row["ImageID"])
    for g in GROUPS:
        for image_id in sorted(by_group[g], key=int)[:PER_GROUP]:
            im = Image.open(os.path.join(devset, "test", image_id + ".jpg")).convert("RGB")
            im.thumbnail((200, 200), Image.BILINEAR)
            im.save(os.path.join(out, image_id + ".jpg"), quality=85)
            print(image_id, g, im.size)
    # One more butterfly, not stored: the test searches with it.
    image_id = sorted(by_group[14], key=int)[PER_GROUP]
    im = Image.open(os.path.join(devset, "test", image_id + ".jpg")).convert("RGB")
    im.thumbnail((200, 200), Image.BILINEAR)
    im.save(os.path.join(out, "..", "query.jpg"), quality=85)
    print("query", image_id)


if __name__ == "__main__":
    main()
