#!/usr/bin/env python3
"""Record golden outputs of dlib itself for FaceKit's parity tests.

Run through Tools/reference/record (which makes the venv with pinned dlib-bin and numpy) after
Models/fetch. Writes into Tests/FaceKitTests/Golden/:

  chip-*.ppm            150x150 RGB test chips (binary PPM), generated here deterministically
  photo-*.ppm           150x150 RGB chips that dlib cut from real photographs: the test images of the
                        face_recognition sdist (PyPI, face_recognition==1.3.0), HOG detector (upsample 1),
                        5-point shape predictor, dlib.get_face_chip(image, shape, size=150, padding=0.25)
  descriptors.json      dlib.face_recognition_model_v1(...).compute_face_descriptor(chip) per chip
  scene.pgm             a 200x160 grayscale synthetic scene with a drawn face
  scene.json            the HOG detector's candidates on it (run with adjust_threshold -1.5) and the
                        5 landmarks the shape predictor places for a fixed box
  models.json           what dlib's Python API says about the models (window, detector count, parts)

The chip-* chips are synthetic (a gradient, a drawn face, seeded noise, smoothed noise); the photo-*
chips come from photographs, decoded by dlib.load_rgb_image. Output is deterministic: running twice
writes identical files.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile

import dlib
import numpy as np

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(TOP, "Models", "files")
GOLDEN = os.path.join(TOP, "Tests", "FaceKitTests", "Golden")
FACE_NET = "dlib_face_recognition_resnet_model_v1.dat"
SHAPE_PREDICTOR = "shape_predictor_5_face_landmarks.dat"
DETECTOR = "frontal_face_detector.svm"
SIZE = 150
PHOTO_PACKAGE = "face_recognition==1.3.0"
PHOTO_DIR = "tests/test_images/"


def sha256_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def ellipse_mask(rows, cols, cy, cx, ry, rx):
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def drawn_face(rows, cols, cy, cx, scale, background, colour=True):
    """A cartoon face: skin ellipse, dark eyes and brows, a nose shadow and a mouth."""
    image = np.empty((rows, cols, 3), np.float64)
    image[:] = background
    skin = np.array([224.0, 172.0, 140.0]) if colour else np.array([190.0] * 3)
    dark = np.array([40.0, 30.0, 30.0])
    image[ellipse_mask(rows, cols, cy, cx, 60 * scale, 46 * scale)] = skin
    for side in (-1, 1):
        image[ellipse_mask(rows, cols, cy - 14 * scale, cx + side * 18 * scale, 5 * scale, 9 * scale)] = dark
        image[ellipse_mask(rows, cols, cy - 26 * scale, cx + side * 18 * scale, 2.5 * scale, 12 * scale)] = dark
    image[ellipse_mask(rows, cols, cy + 8 * scale, cx, 4 * scale, 7 * scale)] = skin * 0.7
    image[ellipse_mask(rows, cols, cy + 30 * scale, cx, 4 * scale, 18 * scale)] = np.array([150.0, 60.0, 60.0])
    return image


def box_blur(image, radius):
    padded = np.pad(image, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    out = np.zeros_like(image)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out += padded[dy:dy + image.shape[0], dx:dx + image.shape[1]]
    return out / (2 * radius + 1) ** 2


def chips():
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    gradient = np.stack([x * 255 / (SIZE - 1), y * 255 / (SIZE - 1), (x + y) * 255 / (2 * (SIZE - 1))], axis=2)
    face = box_blur(drawn_face(SIZE, SIZE, 80, 75, 1.0, np.array([70.0, 110.0, 160.0])), 1)
    noise = np.random.default_rng(1).integers(0, 256, size=(SIZE, SIZE, 3))
    smooth = box_blur(np.random.default_rng(2).integers(0, 256, size=(SIZE, SIZE, 3)).astype(np.float64), 4)
    for name, image in (("gradient", gradient), ("face", face), ("noise", noise), ("smooth-noise", smooth)):
        yield name, np.clip(np.rint(image), 0, 255).astype(np.uint8)


def photos():
    """Yields (member name, RGB image) for each JPEG test image of the face_recognition sdist."""
    with tempfile.TemporaryDirectory() as temp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", temp, PHOTO_PACKAGE], check=True)
        archive = [name for name in os.listdir(temp) if name.endswith(".tar.gz")]
        assert len(archive) == 1, archive
        with tarfile.open(os.path.join(temp, archive[0]), "r:gz") as tar:
            members = sorted((m for m in tar if PHOTO_DIR in m.name and m.name.endswith(".jpg")),
                             key=lambda m: m.name)
            for member in members:
                path = os.path.join(temp, os.path.basename(member.name))
                with open(path, "wb") as out:
                    out.write(tar.extractfile(member).read())
                yield member.name.split("/", 1)[1], dlib.load_rgb_image(path)


def photo_chips():
    """Yields (name, chip, provenance) for every face dlib finds in the photographs."""
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(MODELS, SHAPE_PREDICTOR))
    for member, image in photos():
        stem = os.path.splitext(os.path.basename(member))[0].replace("_", "-")
        boxes = sorted(detector(image, 1), key=lambda b: (b.top(), b.left()))
        for number, box in enumerate(boxes):
            shape = predictor(image, box)
            chip = dlib.get_face_chip(image, shape, size=SIZE, padding=0.25)
            yield f"{stem}-{number}", chip, {
                "package": PHOTO_PACKAGE, "member": member,
                "box": {"left": box.left(), "top": box.top(), "right": box.right(), "bottom": box.bottom()},
                "call": "dlib.get_face_chip(image, shape_predictor_5(image, box), size=150, padding=0.25)",
            }


def write_pnm(path, image):
    magic = b"P6" if image.ndim == 3 else b"P5"
    with open(path, "wb") as handle:
        handle.write(magic + b"\n%d %d\n255\n" % (image.shape[1], image.shape[0]))
        handle.write(np.ascontiguousarray(image).tobytes())


def write_json(path, value):
    with open(path, "w") as handle:
        json.dump(value, handle, indent=1)
        handle.write("\n")


def record_descriptors():
    net_path = os.path.join(MODELS, FACE_NET)
    model = dlib.face_recognition_model_v1(net_path)
    entries = []
    synthetic = ((f"chip-{name}", chip, None) for name, chip in chips())
    photographic = ((f"photo-{name}", chip, source) for name, chip, source in photo_chips())
    for name, chip, source in list(synthetic) + list(photographic):
        file_name = f"{name}.ppm"
        write_pnm(os.path.join(GOLDEN, file_name), chip)
        descriptor = model.compute_face_descriptor(chip, 0)
        # A batch of one must agree with the single call (it is the same code path in dlib).
        batch = model.compute_face_descriptor([chip], 0)[0]
        assert list(batch) == list(descriptor)
        entry = {
            "name": name.removeprefix("chip-"),
            "file": file_name,
            "rgb_sha256": hashlib.sha256(chip.tobytes()).hexdigest(),
            "descriptor": [float(v) for v in descriptor],
        }
        if source is not None:
            entry["source"] = source
        entries.append(entry)
    write_json(os.path.join(GOLDEN, "descriptors.json"), {
        "generator": "Tools/reference/record.py",
        "dlib": dlib.__version__,
        "model": {"file": FACE_NET, "sha256": sha256_file(net_path)},
        "call": "dlib.face_recognition_model_v1(model).compute_face_descriptor(chip, num_jitters=0)",
        "chip": {"rows": SIZE, "cols": SIZE, "format": "binary PPM (P6), RGB"},
        "chips": entries,
    })


def record_scene():
    scene = drawn_face(160, 200, 82, 96, 0.75, np.array([120.0] * 3), colour=False)
    scene = np.clip(np.rint(box_blur(scene, 1)[:, :, 0]), 0, 255).astype(np.uint8)
    write_pnm(os.path.join(GOLDEN, "scene.pgm"), scene)
    detector = dlib.get_frontal_face_detector()
    boxes, scores, indices = detector.run(scene, 0, -1.5)
    predictor = dlib.shape_predictor(os.path.join(MODELS, SHAPE_PREDICTOR))
    box = dlib.rectangle(60, 44, 132, 116)
    shape = predictor(scene, box)
    write_json(os.path.join(GOLDEN, "scene.json"), {
        "generator": "Tools/reference/record.py",
        "dlib": dlib.__version__,
        "image": {"file": "scene.pgm", "rows": 160, "cols": 200, "format": "binary PGM (P5), gray",
                  "sha256": hashlib.sha256(scene.tobytes()).hexdigest()},
        "detector": {
            "file": DETECTOR,
            "call": "dlib.get_frontal_face_detector().run(image, upsample_num_times=0, adjust_threshold=-1.5)",
            "detections": [
                {"left": b.left(), "top": b.top(), "right": b.right(), "bottom": b.bottom(),
                 "score": float(s), "detector": int(i)}
                for b, s, i in zip(boxes, scores, indices)
            ],
        },
        "shape_predictor": {
            "file": SHAPE_PREDICTOR,
            "call": "dlib.shape_predictor(model)(image, dlib.rectangle(60, 44, 132, 116))",
            "box": {"left": 60, "top": 44, "right": 132, "bottom": 116},
            "points": [[p.x, p.y] for p in shape.parts()],
        },
    })


def record_models():
    detector = dlib.get_frontal_face_detector()
    write_json(os.path.join(GOLDEN, "models.json"), {
        "generator": "Tools/reference/record.py",
        "dlib": dlib.__version__,
        "frontal_face_detector": {
            "detection_window_width": detector.detection_window_width,
            "detection_window_height": detector.detection_window_height,
            "num_detectors": detector.num_detectors,
        },
        "note": "dlib's Python API does not expose a DNN's layer list; the face network's structure is "
                "checked against examples/dnn_face_recognition_ex.cpp in DlibNetworkTests.",
    })


def main():
    for name in (FACE_NET, SHAPE_PREDICTOR):
        if not os.path.isfile(os.path.join(MODELS, name)):
            sys.exit(f"record.py: {name} is missing; run Models/fetch first")
    os.makedirs(GOLDEN, exist_ok=True)
    record_descriptors()
    record_scene()
    record_models()


if __name__ == "__main__":
    main()
