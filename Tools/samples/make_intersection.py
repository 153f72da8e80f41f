#!/usr/bin/env python3
"""Renders the bundled synthetic intersection clip (Samples/intersection.mjpeg).

A fixed camera looks at a two-lane road with a stop line and a three-lamp signal head. Vehicles
drive up the image (direction [0, -1]); the signal cycles green → amber → red. The ground truth
(signal phases, and when each vehicle's bottom edge crosses the stop line) is written beside the
clip so that the traffic stage can later be scored against it.

Deterministic: the same seed gives the same bytes. Needs numpy and Pillow (pip install pillow).
Usage: make_intersection.py OUT.mjpeg [--frames 150] [--fps 15] [--quality 80]
"""
import argparse
import io
import json

import numpy as np
from PIL import Image, ImageDraw

W, H = 640, 480
STOP_Y = 300                      # stop line (image row)
LANES = [(220, 300), (330, 410)]  # x ranges of the two lanes
SIGNAL = {"red": (602, 38, 622, 58), "amber": (602, 62, 622, 82), "green": (602, 86, 622, 106)}
CYCLE = [("green", 4.0), ("amber", 1.0), ("red", 5.0)]


def phase_at(t):
    period = sum(d for _, d in CYCLE)
    t = t % period
    for name, duration in CYCLE:
        if t < duration:
            return name
        t -= duration
    return CYCLE[-1][0]


# Vehicles: (lane, start time s, speed px/s, length px, colour)
VEHICLES = [
    (0, 0.0, 120, 90, (180, 30, 30)),
    (1, 1.5, 150, 110, (30, 60, 170)),
    (0, 5.4, 140, 80, (220, 220, 220)),   # enters on red
    (1, 6.5, 110, 100, (40, 140, 60)),    # crosses on red
    (0, 8.5, 160, 90, (200, 160, 20)),
]


def render(frames, fps, rng, truth):
    """Yields each frame of the scene as an RGB uint8 array (with sensor noise drawn from `rng`) and appends
    the signal phases and stop-line crossings to `truth`."""
    background = np.zeros((H, W, 3), np.float32)
    background[:] = (96, 110, 96)                       # verge
    background[:, 200:430] = (70, 70, 74)               # road
    background[:, 313:317] = (200, 200, 170)            # centre line
    background[STOP_Y:STOP_Y + 6, 200:430] = (235, 235, 235)
    background[20:124, 594:630] = (25, 25, 25)          # signal housing
    crossed = set()
    last_phase = None
    for i in range(frames):
        t = i / fps
        phase = phase_at(t)
        if phase != last_phase:
            truth["phases"].append({"frame": i, "time": round(t, 4), "state": phase})
            last_phase = phase
        light = 1.0 + 0.08 * np.sin(t / 3.0)           # slow exposure drift
        frame = background * light
        img = Image.fromarray(np.clip(frame, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(img)
        for name, (a, b, c, d) in SIGNAL.items():
            lit = name == phase
            colour = {"red": (255, 40, 30), "amber": (255, 170, 0), "green": (40, 230, 80)}[name]
            draw.ellipse((a, b, c, d), fill=colour if lit else tuple(v // 6 for v in colour))
        for n, (lane, start, speed, length, colour) in enumerate(VEHICLES):
            if t < start:
                continue
            bottom = H + length - (t - start) * speed
            top = bottom - length
            if bottom < 0:
                continue
            x0, x1 = LANES[lane]
            draw.rectangle((x0 + 8, top, x1 - 8, bottom), fill=colour)
            draw.rectangle((x0 + 16, top + 12, x1 - 16, top + length * 0.35), fill=(30, 35, 45))
            if n not in crossed and bottom <= STOP_Y:
                crossed.add(n)
                truth["crossings"].append({"vehicle": n, "frame": i, "time": round(t, 4), "signal": phase})
        pixels = np.asarray(img).astype(np.int16)
        pixels += rng.integers(-3, 4, size=pixels.shape, dtype=np.int16)   # sensor noise
        yield np.clip(pixels, 0, 255).astype(np.uint8)


def empty_truth(fps):
    return {"width": W, "height": H, "fps": fps, "stop_line": [[200, STOP_Y], [430, STOP_Y]],
            "signal": {k: [[a, b], [c, b], [c, d], [a, d]] for k, (a, b, c, d) in SIGNAL.items()},
            "phases": [], "crossings": []}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--fps", type=float, default=15)
    ap.add_argument("--quality", type=int, default=80)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    truth = empty_truth(args.fps)
    with open(args.out, "wb") as out:
        for pixels in render(args.frames, args.fps, rng, truth):
            buf = io.BytesIO()
            Image.fromarray(pixels).save(buf, "JPEG", quality=args.quality)
            out.write(buf.getvalue())
    with open(args.out.rsplit(".", 1)[0] + ".truth.json", "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
