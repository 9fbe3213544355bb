#!/usr/bin/env bash
# Prepares the GPU measurement of issue "GPU: the CUDA execution provider ...",
# on the development machine (which has Go; the GPU machine has not):
#   - builds ./vecimg
#   - packs ONNX Runtime + its CUDA provider into .gpu-bundle/p1..pN (../shared/tools/gpu-bundle)
#   - copies what the run needs into .gpu-carry/ (ignored by git): the binary, the
#     reference scripts and the dev-set photos the test images are cut from.
# Then, with the device tool: send each part (`mkdir -p /root/ortgpu && cp .gpu-bundle/pK /root/ortgpu/`,
# carry [".gpu-bundle"]), back to back, then run `bash .gpu-carry/run.sh` with carry [".gpu-carry"].
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build
../shared/tools/gpu-bundle
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude
rm -rf .gpu-carry && mkdir -p .gpu-carry/ref .gpu-carry/photos
cp vecimg bench/gpu/run.sh bench/gpu/make_images.py .gpu-carry/
cp ../shared/ref/*.py .gpu-carry/ref/
cp ../shared/data/dev-set/test/*.jpg .gpu-carry/photos/
du -sh .gpu-carry .gpu-bundle
