#!/usr/bin/env bash
# Real fc6 vectors for fitting bench/synth, and the fit itself.
#
#   bench/fc6/extract.sh          # ~15-25 min on 2 cores; files in $OUT (.bench/scale)
#
# 1. full-size seeded VGG16 weights (../shared/ref/make_vgg16_weights.py
#    --width 1 --seed 1, 528 MB; real ImageNet weights cannot be downloaded
#    here);
# 2. the 300 dev-set photos (../shared/data/dev-set, 25 source photos) and 300
#    more crops (12 each) of 25 other photos from Debian's opencv-doc and
#    python3-matplotlib packages, made with ../shared/ref/make_dataset.py;
# 3. embedded with vecimg itself (ingest, default preset), exported as .npz;
# 4. bench/fc6/fit.py fits the generator: $OUT/fc6-params.bin (~6 MB, not
#    committed) and prints the fit statistics.
# Needs Debian's python3-torch, python3-torchvision, python3-pil,
# python3-numpy, python3-opencv (apt-get install them; /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-.bench/scale}
SHARED=${SHARED:-../shared}
[ -d "$SHARED/ref" ] || SHARED=/work/shared
mkdir -p "$OUT"
weights=$OUT/vgg16.pth
[ -s "$weights" ] || /usr/bin/python3 "$SHARED/ref/make_vgg16_weights.py" --width 1 --seed 1 "$weights"
go build -o "$OUT/vecimg" .

# The other photos: real photographs (not diagrams or screenshots) in Debian
# packages that are not among the dev set's sources.
srcs=()
for name in aero3.jpg ambush_5_left.jpg basketball1.png boat.jpg budapest.jpg graf1.png grace_hopper.jpg \
	leuvenB.jpg pexels_double_decker_bus.jpg plant.jpg rubberwhale1.png smarties.png sudoku.png scenetext01.jpg \
	scenetext03.jpg pic2.png memorial.png chicky_512.png HDRtoneMapping_candleSample.jpg VideoDemo_RGB_PETS2006.jpg \
	newspaper.jpg box_in_scene.png cards.png stanford.png lbp_yale.jpg; do
	p=$(find /usr/share/doc/opencv-doc /usr/share/matplotlib -name "$name" -size +30k 2>/dev/null | sort | head -1)
	[ -n "$p" ] && srcs+=("$p")
done
echo "extra sources: ${#srcs[@]} photos" >&2
extra=$OUT/extra-images
if [ ! -d "$extra/test" ] && [ "${#srcs[@]}" -gt 0 ]; then
	/usr/bin/python3 "$SHARED/ref/make_dataset.py" --sources "${srcs[@]}" --per-source 12 --seed 11 --out "$extra"
fi

embed() { # name dir
	local db=$OUT/fc6-$1.db
	"$OUT/vecimg" --db "$db" ingest --weights "$weights" --no-download "$2/test"
	"$OUT/vecimg" --db "$db" export --out "$OUT/fc6-$1.npz"
	cp "$2/truth.csv" "$OUT/fc6-$1-truth.csv"
}
[ -s "$OUT/fc6-dev.npz" ] || embed dev "$SHARED/data/dev-set"
inputs=("$OUT/fc6-dev.npz:$OUT/fc6-dev-truth.csv")
if [ -d "$extra/test" ]; then
	[ -s "$OUT/fc6-extra.npz" ] || embed extra "$extra"
	inputs+=("$OUT/fc6-extra.npz:$OUT/fc6-extra-truth.csv")
fi
/usr/bin/python3 bench/fc6/fit.py --out "$OUT/fc6-params.bin" "${inputs[@]}"
