#!/usr/bin/env python3
"""Faces: Sightline beside dlib-bin, same images, same run, thread CPU time on one core.

Makes 640x480 and 1280x720 frames from the face collage fixture (real photos, Golden/faces), then times
the frontal face detector at upsample 0 and 1 with `sightline-bench faces` and with dlib in this process,
plus landmarks and chip extraction per face. Each detector case alternates the two sides for --rounds rounds
and keeps each side's best round (mean thread CPU time of the round), so a change of load between the two
measurements moves the ratio less. Prints each figure and the ratio dlib / Sightline (how many
times faster Sightline is; > 1 is better). Usage: run.py SIGHTLINE MODELS COLLAGE WORKDIR [--seconds S]

Levels (Benchmarks/levels.py): with SIGHTLINE_ISA set (avx2: `make bench SIGHTLINE_MARCH=x86-64-v3
SIGHTLINE_ISA=avx2`) the run refuses a sightline-bench whose kernels were built for another width. dlib-bin's
wheel has no switch; the run prints the widest SIMD its shared object contains (objdump).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import _dlib_pybind11
import dlib
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import levels  # noqa: E402

DETECT_TARGET = 2.0


def timed(fn, seconds):
    fn()
    runs, start = 0, time.thread_time()
    while time.thread_time() - start < seconds or runs < 3:
        fn()
        runs += 1
    return (time.thread_time() - start) / runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sightline")
    ap.add_argument("models")
    ap.add_argument("collage")
    ap.add_argument("workdir")
    ap.add_argument("--seconds", type=float, default=1.0, help="per side and round")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    held = levels.held_level("Benchmarks/faces/run.py")
    collage = Image.open(a.collage).convert("RGB")
    frames = []
    for (w, h) in [(640, 480), (1280, 720)]:
        path = os.path.join(a.workdir, f"faces-{w}x{h}.ppm")
        collage.resize((w, h), Image.BILINEAR).save(path)
        frames.append((f"{w}x{h}", path))
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(a.models, "shape_predictor_5_face_landmarks.dat"))
    env = dict(os.environ, SIGHTLINE_MODELS=a.models)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':<22}{'sightline':>14}{'dlib':>14}{'dlib/sightline':>16}")
    target = None
    for label, path in frames:
        pixels = np.asarray(Image.open(path))
        for upsample in (0, 1):
            rounds = []
            for _ in range(max(1, a.rounds)):
                ours = json.loads(subprocess.run(
                    [a.sightline, "faces", path, "--upsample", str(upsample), "--seconds", str(a.seconds),
                     "--json"], check=True, capture_output=True, text=True, env=env).stdout.strip().splitlines()[-1])
                if target is None:
                    target = ours.get("target", "unknown")
                    levels.check_sightline_target("Benchmarks/faces/run.py", held, target)
                rounds.append((ours["detect_ms"], timed(lambda: detector(pixels, upsample), a.seconds) * 1e3))
            mine, theirs = min(r[0] for r in rounds), min(r[1] for r in rounds)
            ratio = theirs / mine
            print(f"{'detect ' + label + ' up' + str(upsample):<22}{mine:>11.2f} ms{theirs:>11.2f} ms"
                  f"{ratio:>15.2f}x   ({ours['faces']} faces; target >= {DETECT_TARGET:g}x "
                  f"{'met' if ratio >= DETECT_TARGET else 'MISSED'})")
            if label == "640x480" and upsample == 1:
                boxes = detector(pixels, 1)
                shapes = [predictor(pixels, b) for b in boxes]
                lm = timed(lambda: [predictor(pixels, b) for b in boxes], 1.0) / len(boxes) * 1e6
                chip = timed(lambda: [dlib.get_face_chip(pixels, s, size=150, padding=0.25) for s in shapes],
                             1.0) / len(shapes) * 1e6
                landmarks_row = (ours["landmarks_us"], lm)
                chip_row = (ours["chip_us"], chip)
    for name, (o, t) in (("landmarks / face", landmarks_row), ("chip / face", chip_row)):
        print(f"{name:<22}{o:>11.1f} µs{t:>11.1f} µs{t / o:>15.2f}x")
    print(f"levels: Sightline's kernels {target} (SIGHTLINE_MARCH at build; SIGHTLINE_ISA="
          f"{held['isa'] if held else 'unset'}); dlib-bin {dlib.__version__}: "
          f"{levels.widest_simd(_dlib_pybind11.__file__)}, compiled in (no run-time switch)")
    print(f"thread CPU time, one core, detector: best of {max(1, a.rounds)} alternating rounds a side; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
