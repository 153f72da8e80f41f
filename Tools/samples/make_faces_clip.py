#!/usr/bin/env python3
"""Renders the bundled clip with real faces (Samples/faces.mjpeg) and its ground truth.

Two people walk along the verges of the bundled intersection (the scene of make_intersection.py, here at
10 fps and cropped to its top 360 rows, which keep the signal head and the stop line): Obama down the left
verge, Biden up the right one, both in view while vehicles cross on red. They are
head-and-shoulders cut-outs of the face_recognition test photographs the project already uses
(Tests/FaceKitTests/Golden/faces/obama.jpg and biden.jpg), scaled so that each face is about 100 px
wide: big enough for dlib's HOG detector without upsampling (its window is 80 px).

The truth file (faces.truth.json) lists, per frame, each face whose box is at least partly in view, with
that box ("whole": false when part of it is outside the frame): the box dlib itself found in the
photograph (Golden/faces/faces.json, upsample 0), moved and scaled with the cut-out. It also carries the
scene's signal phases and stop-line crossings, as make_intersection.py reports them.

Deterministic: the same inputs and seed give the same bytes. Needs numpy and Pillow.
Usage: make_faces_clip.py [--out Samples/faces.mjpeg] [--fps 10] [--seconds 10] [--quality 65] [--seed 11]
"""
import argparse
import io
import json
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

import make_intersection as scene

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "faces")
FACE_WIDTH = 100          # target width of the dlib box in the clip, pixels

# Who walks where: photo, the crop around the head (photo pixels, l t r b), the path of the crop's
# top-left corner in the clip (x, y at the start and end time, seconds).
WALKERS = [
    {"name": "obama", "file": "obama.jpg", "crop": (170, 10, 400, 320),
     "start": (20, -150), "end": (40, 200), "t0": 0.0, "t1": 10.0},
    {"name": "biden", "file": "biden.jpg", "crop": (90, 15, 262, 225),
     "start": (466, 260), "end": (456, 128), "t0": 0.0, "t1": 10.0},
]


def reference_boxes():
    """dlib's upsample-0 box of the one face in each photograph (recorded by Tools/reference)."""
    fixtures = json.load(open(os.path.join(GOLDEN, "faces.json")))["fixtures"]
    boxes = {}
    for fixture in fixtures:
        run = next(r for r in fixture["runs"] if r["upsample"] == 0)
        if len(run["detections"]) == 1:
            boxes[fixture["file"]] = run["detections"][0]["box"]
    return boxes


def cutout(walker, box):
    """The walker's head and shoulders, scaled, with a soft oval alpha; and the face box inside it."""
    photo = Image.open(os.path.join(GOLDEN, walker["file"])).convert("RGB")
    l, t, r, b = walker["crop"]
    scale = FACE_WIDTH / (box[2] - box[0])
    size = (round((r - l) * scale), round((b - t) * scale))
    picture = photo.crop((l, t, r, b)).resize(size, Image.LANCZOS)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((2, 2, size[0] - 3, size[1] + size[1] // 3), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(3))
    fade = np.ones((size[1], 1), np.float32)
    n = size[1] // 5
    fade[size[1] - n:, 0] = np.linspace(1, 0, n)             # the shoulders fade out at the bottom
    mask = Image.fromarray((np.asarray(mask, np.float32) * fade).astype(np.uint8))
    face = [(box[0] - l) * scale, (box[1] - t) * scale, (box[2] - l) * scale, (box[3] - t) * scale]
    return picture, mask, face


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(TOP, "Samples", "faces.mjpeg"))
    ap.add_argument("--fps", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--height", type=int, default=360, help="rows kept from the top of the scene")
    ap.add_argument("--quality", type=int, default=65)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    boxes = reference_boxes()
    walkers = []
    for walker in WALKERS:
        picture, mask, face = cutout(walker, boxes[walker["file"]])
        sway = rng.uniform(0, 2 * np.pi)            # a slight sway while walking, the same every run
        walkers.append((walker, picture, mask, face, sway))

    count = round(args.fps * args.seconds)
    truth = scene.empty_truth(args.fps)
    truth.update({"generator": "Tools/samples/make_faces_clip.py", "height": args.height,
                  "photos": {w["name"]: "Tests/FaceKitTests/Golden/faces/" + w["file"] for w in WALKERS},
                  "box_source": "dlib's upsample-0 box in the photo (Golden/faces/faces.json), moved and scaled",
                  "frames": []})
    with open(args.out, "wb") as out:
        for index, pixels in enumerate(scene.render(count, args.fps, rng, truth)):
            frame = Image.fromarray(pixels[:args.height])
            t = index / args.fps
            faces = []
            for walker, picture, mask, face, sway in walkers:
                if not walker["t0"] <= t <= walker["t1"]:
                    continue
                progress = (t - walker["t0"]) / (walker["t1"] - walker["t0"])
                x = walker["start"][0] + progress * (walker["end"][0] - walker["start"][0])
                y = walker["start"][1] + progress * (walker["end"][1] - walker["start"][1])
                x, y = round(x + 3 * np.sin(2.5 * t + sway)), round(y + 2 * np.sin(5 * t + sway))
                frame.paste(picture, (x, y), mask)
                box = [round(face[0]) + x, round(face[1]) + y, round(face[2]) + x, round(face[3]) + y]
                if box[2] > 0 and box[3] > 0 and box[0] < frame.width and box[1] < frame.height:
                    whole = box[0] >= 0 and box[1] >= 0 and box[2] < frame.width and box[3] < frame.height
                    faces.append({"name": walker["name"], "box": box, "whole": whole})
            truth["frames"].append({"frame": index, "faces": faces})
            buf = io.BytesIO()
            frame.save(buf, "JPEG", quality=args.quality, optimize=True)
            out.write(buf.getvalue())
    with open(args.out.rsplit(".", 1)[0] + ".truth.json", "w") as f:
        json.dump(truth, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
