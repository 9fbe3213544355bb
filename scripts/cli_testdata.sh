#!/usr/bin/env bash
# Refreshes cli/testdata from the generated fixtures it copies, so that the
# cli tests read only their own testdata. Run it after regenerating any of:
#   testdata/images (scripts/make_preprocess_goldens.py): the four test images
#   embed/preprocess/testdata/{pixels,bad} (same script): odd and bad files
#   internal/npz/testdata (scripts/make_npz_fixtures.py): numpy-written .npz
# The tiny VGG16 weights stay in embed/vgg/testdata (1 MB each); the cli
# tests name them there (cli/helpers_test.go).
# cli/testdata/schema1-store.tar.gz is made by scripts/make_schema1_store.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/cli/testdata
mkdir -p "$out/images" "$out/pixels" "$out/bad" "$out/npz"
cp "$root"/testdata/images/{1.png,2.png,3.png,4.jpg} "$out/images/"
for f in gray.png cmyk.jpg palette.png gray16.png rgba16.png rgba.png anim.gif progressive.jpg; do
  cp "$root/embed/preprocess/testdata/pixels/$f" "$out/pixels/"
done
for f in empty.jpg truncated.jpg text.jpg bomb.jpg bomb.png; do
  cp "$root/embed/preprocess/testdata/bad/$f" "$out/bad/"
done
for f in good.npz good_compressed_bytes.npz float64.npz int_ids.npz ragged.npz object_ids.npz fortran.npz \
  count_mismatch.npz no_ids.npz vectors_1d.npz nan.npz inf.npz zero_row.npz duplicate_ids.npz empty_id.npz; do
  cp "$root/internal/npz/testdata/$f" "$out/npz/"
done
echo "refreshed $out"
