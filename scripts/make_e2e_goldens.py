#!/usr/bin/python3
"""Write embed/testdata/e2e.json + e2e_<preset>.f32: the fc6 vectors the
reference recipe computes for the committed test images (testdata/images) with
the committed tiny weights (embed/vgg/testdata/vgg16_w32_legacy.pth).

The recipe, as in ../shared/ref/seed_pipeline.py: cv2.imread (BGR) ->
ToPILImage -> CenterCrop(512) -> Resize(448) -> ToTensor -> features ->
avgpool -> flatten -> classifier[0]. The imagenet preset: RGB,
Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet mean/std).

Run once with Debian's python3-torch; the outputs are committed, CI never runs it:
    /usr/bin/python3 scripts/make_e2e_goldens.py
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
from torch import nn
from torchvision import transforms

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
WEIGHTS = os.path.join(ROOT, "embed", "vgg", "testdata", "vgg16_w32_legacy.pth")
IMAGES = os.path.join(ROOT, "testdata", "images")
OUT = os.path.join(ROOT, "embed", "testdata")
CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def build(sd):
    layers, c_in = [], 3
    for v in CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            idx = len(layers)
            c = sd[f"features.{idx}.weight"].shape[0]
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(inplace=True)]
            c_in = c
    m = nn.Module()
    m.features = nn.Sequential(*layers)
    m.avgpool = nn.AdaptiveAvgPool2d((7, 7))
    hid = sd["classifier.0.weight"].shape[0]
    m.classifier = nn.Sequential(nn.Linear(c_in * 49, hid), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(hid, hid), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(hid, sd["classifier.6.weight"].shape[0]))
    m.load_state_dict(sd)
    return m.eval()


def main():
    sd = torch.load(WEIGHTS, map_location="cpu")
    m = build(sd)
    presets = {
        "blitz": (transforms.Compose([transforms.ToPILImage(), transforms.CenterCrop(512),
                                      transforms.Resize(448), transforms.ToTensor()]), False),
        "imagenet": (transforms.Compose([transforms.ToPILImage(), transforms.Resize(256), transforms.CenterCrop(224),
                                         transforms.ToTensor(),
                                         transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]), True),
    }
    names = sorted(os.listdir(IMAGES))
    meta = {"weights": os.path.relpath(WEIGHTS, ROOT), "images": names, "presets": {}}
    for preset, (tf, rgb) in presets.items():
        rows = []
        for n in names:
            img = cv2.imread(os.path.join(IMAGES, n))
            if rgb:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            x = tf(img).unsqueeze(0)
            with torch.no_grad():
                f = m.classifier[0](torch.flatten(m.avgpool(m.features(x)), 1))
            rows.append(f.numpy().reshape(-1))
        arr = np.stack(rows).astype("<f4")
        arr.tofile(os.path.join(OUT, f"e2e_{preset}.f32"))
        meta["presets"][preset] = {"file": f"e2e_{preset}.f32", "shape": list(arr.shape)}
    with open(os.path.join(OUT, "e2e.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
