#!/usr/bin/env python3
"""Write PNG test files with Pillow and, beside each, the pixels Pillow decodes from it (binary PPM/PGM),
for Imaging's PNGDecoder tests. Run with the project venv (Tools/python-env pillow==13.0.0 numpy==2.4.6).
Writes Tests/ImagingTests/Fixtures/png/. Deterministic: the pictures are generated from seeded noise and the
golden face chip photo-obama-0.ppm (saved as PNG so Pillow's adaptive row filters are all exercised).
"""
import os

import numpy as np
from PIL import Image

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "Tests", "ImagingTests", "Fixtures", "png")


def expected(name, image):
    pixels = np.asarray(image.convert("L" if image.mode in ("L", "LA", "I;16", "I") else "RGB"))
    if image.mode in ("I;16", "I"):
        pixels = (np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8)
    magic = b"P6" if pixels.ndim == 3 else b"P5"
    with open(os.path.join(OUT, name + ".pnm"), "wb") as handle:
        handle.write(magic + b"\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    smooth = np.cumsum(rng.integers(-9, 10, size=(23, 37, 4)), axis=1) % 256
    face = Image.open(os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "photo-obama-0.ppm")).convert("RGB")
    pictures = {
        "chip-rgb8": face,
        "rgba8": Image.fromarray(smooth.astype(np.uint8), "RGBA"),
        "gray8": Image.fromarray(smooth[:, :, 0].astype(np.uint8), "L"),
        "palette8": Image.fromarray(smooth[:, :, :3].astype(np.uint8), "RGB").quantize(colors=40, dither=0),
        "gray16": Image.fromarray((smooth[:, :, 1] * 257 + 3).astype(np.uint16)),
    }
    for name, image in pictures.items():
        image.save(os.path.join(OUT, name + ".png"), optimize=True)
        expected(name, Image.open(os.path.join(OUT, name + ".png")))


if __name__ == "__main__":
    main()
