#!/usr/bin/env python3
"""Record dlib's face detector, landmark and chip outputs on real photographs for FaceKit's parity tests.

Run through Tools/reference/record_faces (pinned dlib-bin, numpy, pillow) after Models/fetch. The photos
are the test images of the face_recognition 1.3.0 source distribution on PyPI (MIT licence; portraits of
Barack Obama and Joe Biden, public figures), fetched with `pip download` into Tools/reference/.cache.
Writes into Tests/FaceKitTests/Golden/faces/:

  *.jpg          fixtures: photos scaled to at most 640 px (Lanczos), saved as baseline JPEG q92 with
                 4:4:4 chroma (no chroma upsampling, so any libjpeg decodes the same pixels), plus a
                 640x480 collage with faces from ~45 to ~200 px and a grayscale JPEG
  faces.json     per fixture: SHA-256 of the RGB (or gray) pixels PIL decodes; for upsample 0 and 1,
                 dlib.get_frontal_face_detector().run(image, upsample, 0) boxes, scores, sub-detectors;
                 for each box found at upsample 0 the 5 landmarks of the shape predictor
  chip-*.ppm     dlib.get_face_chip(image, landmarks, size=150, padding=0.25) for a few faces (binary PPM)

Deterministic: running twice writes identical files.
"""

import glob
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

import dlib
import numpy as np
from PIL import Image

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(TOP, "Models", "files")
OUT = os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "faces")
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
SDIST = "face_recognition-1.3.0.tar.gz"
SHAPE_PREDICTOR = "shape_predictor_5_face_landmarks.dat"
CHIP_FACES = 3


def photos():
    """The sdist's test photos as RGB PIL images, by name."""
    archive = os.path.join(CACHE, SDIST)
    if not os.path.isfile(archive):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", CACHE, "face_recognition==1.3.0"], check=True)
    found = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if "/tests/test_images/" in member.name and member.name.endswith(".jpg"):
                name = os.path.basename(member.name)[:-4]
                found[name] = Image.open(io.BytesIO(tar.extractfile(member).read())).convert("RGB")
    return found


def fit(image, longest):
    scale = longest / max(image.size)
    return image.resize((round(image.size[0] * scale), round(image.size[1] * scale)), Image.LANCZOS)


def collage(found):
    """640x480: faces at several sizes, including ones only an upsampled scan finds."""
    canvas = Image.new("RGB", (640, 480), (96, 104, 112))
    canvas.paste(fit(found["obama2"], 480), (0, 0))                    # face about 180 px
    canvas.paste(fit(found["obama"], 240), (260, 0))                    # about 70 px
    canvas.paste(fit(found["biden"], 300), (430, 0))                    # about 60 px
    canvas.paste(fit(found["obama3"], 480).crop((80, 40, 300, 260)), (260, 250))  # about 90 px
    canvas.paste(fit(found["obama_partial_face2"], 160), (500, 300))    # about 45 px
    return canvas


def save_jpeg(image, path):
    image.save(path, "JPEG", quality=92, subsampling=0, optimize=False, progressive=False)
    return Image.open(path)


def write_pnm(path, array):
    magic = b"P6" if array.ndim == 3 else b"P5"
    with open(path, "wb") as handle:
        handle.write(magic + b"\n%d %d\n255\n" % (array.shape[1], array.shape[0]))
        handle.write(np.ascontiguousarray(array).tobytes())


def main():
    if not os.path.isfile(os.path.join(MODELS, SHAPE_PREDICTOR)):
        sys.exit(f"record_faces.py: {SHAPE_PREDICTOR} is missing; run Models/fetch first")
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    found = photos()
    fixtures = [
        ("obama", fit(found["obama"], 640), "RGB"),
        ("obama3", fit(found["obama3"], 640), "RGB"),
        ("biden", fit(found["biden"], 640), "RGB"),
        ("partial", fit(found["obama_partial_face"], 640), "RGB"),
        ("collage", collage(found), "RGB"),
        ("obama2-gray", fit(found["obama2"], 640).convert("L"), "L"),
    ]
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(MODELS, SHAPE_PREDICTOR))
    records = []
    chips = 0
    for name, image, mode in fixtures:
        file_name = f"{name}.jpg"
        decoded = save_jpeg(image, os.path.join(OUT, file_name))
        pixels = np.asarray(decoded.convert(mode))
        entry = {"name": name, "file": file_name, "width": pixels.shape[1], "height": pixels.shape[0],
                 "channels": 1 if mode == "L" else 3,
                 "pixels_sha256": hashlib.sha256(pixels.tobytes()).hexdigest(), "runs": []}
        for upsample in (0, 1):
            boxes, scores, indices = detector.run(pixels, upsample, 0)
            run = {"upsample": upsample, "detections": []}
            for box, score, index in zip(boxes, scores, indices):
                detection = {"box": [box.left(), box.top(), box.right(), box.bottom()], "score": float(score),
                             "detector": int(index)}
                if upsample == 0:
                    shape = predictor(pixels, box)
                    detection["landmarks"] = [[p.x, p.y] for p in shape.parts()]
                    if chips < CHIP_FACES and mode == "RGB":
                        chip = np.asarray(dlib.get_face_chip(pixels, shape, size=150, padding=0.25))
                        chip_name = f"chip-{name}-{len(run['detections'])}.ppm"
                        write_pnm(os.path.join(OUT, chip_name), chip)
                        detection["chip"] = chip_name
                        chips += 1
                run["detections"].append(detection)
            entry["runs"].append(run)
        records.append(entry)
    with open(os.path.join(OUT, "faces.json"), "w") as handle:
        json.dump({
            "generator": "Tools/reference/record_faces.py",
            "dlib": dlib.__version__,
            "source": f"PyPI {SDIST} tests/test_images (MIT)",
            "detector_call": "dlib.get_frontal_face_detector().run(pixels, upsample, 0)",
            "landmarks_call": "dlib.shape_predictor(shape_predictor_5_face_landmarks.dat)(pixels, box)",
            "chip_call": "dlib.get_face_chip(pixels, landmarks, size=150, padding=0.25)",
            "fixtures": records,
        }, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
