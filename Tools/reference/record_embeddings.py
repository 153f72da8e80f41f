#!/usr/bin/env python3
"""Record dlib's whole-image face descriptors on the photo fixtures, for `sightline faces embed IMAGE`.

Run through Tools/reference/record_embeddings (pinned dlib-bin and numpy) after Models/fetch and after
record_faces has written the fixtures. For each colour fixture of Tests/FaceKitTests/Golden/faces/faces.json,
the JPEG is decoded with PIL as record_faces.py does (the pixels must hash to the fixture's pixels_sha256; the
parity tests check that Sightline's decoder gives the same pixels), then dlib's own whole-image path runs:

  boxes = dlib.get_frontal_face_detector().run(pixels, 1, 0)           # upsample 1, faces embed's default
  shape = dlib.shape_predictor(shape_predictor_5_face_landmarks.dat)(pixels, box)
  descriptor = dlib.face_recognition_model_v1(model).compute_face_descriptor(pixels, shape, 0)
                                                                      # chip 150, padding 0.25, no jitter

Writes Tests/FaceKitTests/Golden/faces/embeddings.json. Deterministic: running twice writes identical files.
"""

import hashlib
import json
import os
import sys

import dlib
import numpy as np
from PIL import Image

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(TOP, "Models", "files")
FACES = os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "faces")
SHAPE_PREDICTOR = "shape_predictor_5_face_landmarks.dat"
FACE_NET = "dlib_face_recognition_resnet_model_v1.dat"
UPSAMPLE = 1


def sha256_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main():
    for name in (SHAPE_PREDICTOR, FACE_NET):
        if not os.path.isfile(os.path.join(MODELS, name)):
            sys.exit(f"record_embeddings.py: {name} is missing; run Models/fetch first")
    with open(os.path.join(FACES, "faces.json")) as handle:
        fixtures = json.load(handle)["fixtures"]
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(MODELS, SHAPE_PREDICTOR))
    facerec = dlib.face_recognition_model_v1(os.path.join(MODELS, FACE_NET))
    images = []
    for fixture in fixtures:
        if fixture["channels"] != 3:
            continue
        with Image.open(os.path.join(FACES, fixture["file"])) as image:
            pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        if hashlib.sha256(pixels.tobytes()).hexdigest() != fixture["pixels_sha256"]:
            sys.exit(f"record_embeddings.py: {fixture['file']} decodes to other pixels than the fixture's")
        boxes, scores, _ = detector.run(pixels, UPSAMPLE, 0)
        faces = []
        for box, score in zip(boxes, scores):
            shape = predictor(pixels, box)
            descriptor = facerec.compute_face_descriptor(pixels, shape, 0)
            faces.append({"box": [box.left(), box.top(), box.right(), box.bottom()], "score": float(score),
                          "descriptor": [float(v) for v in descriptor]})
        images.append({"file": fixture["file"], "upsample": UPSAMPLE, "faces": faces})
    with open(os.path.join(FACES, "embeddings.json"), "w") as handle:
        json.dump({
            "generator": "Tools/reference/record_embeddings.py",
            "dlib": dlib.__version__,
            "model": {"file": FACE_NET, "sha256": sha256_file(os.path.join(MODELS, FACE_NET))},
            "detector_call": f"dlib.get_frontal_face_detector().run(pixels, {UPSAMPLE}, 0)",
            "landmarks_call": "dlib.shape_predictor(shape_predictor_5_face_landmarks.dat)(pixels, box)",
            "descriptor_call": "dlib.face_recognition_model_v1(model).compute_face_descriptor(pixels, shape, 0)",
            "images": images,
        }, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
