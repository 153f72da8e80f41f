#!/usr/bin/env python3
"""JPEG decode: Sightline's decoder beside libjpeg-turbo called directly, same files, same run.

Makes camera-like q85 4:2:0 JPEGs at 640x480 and 1280x720 (smooth scene, edges, sensor noise),
then times each case (full size RGB, luma only, DCT 1/2, 1/4) with `sightline-bench decode` and
with `jpeg_direct` (Benchmarks/decode/jpeg_direct.c, plain libjpeg API). Both report thread CPU
time per decode. Prints a table with the ratio Sightline / libjpeg (1.00 = same speed; lower is
better for Sightline). With --raw-peer, raw camera frames too (`sightline-bench raw` beside
Benchmarks/decode/sws_direct.c, libswscale called directly).
Usage: run.py SIGHTLINE_BENCH_BIN JPEG_DIRECT_BIN WORKDIR [--seconds S] [--json] [--raw-peer SWS_DIRECT_BIN]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image


def camera_like(width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    for _ in range(12):   # soft light blobs
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(40, width / 3)
        colour = rng.uniform(20, 120, 3)
        img += colour * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
    for _ in range(40):   # hard-edged objects
        x0, y0 = rng.integers(0, width - 20), rng.integers(0, height - 20)
        w, h = rng.integers(10, width // 5), rng.integers(10, height // 5)
        img[y0:y0 + h, x0:x0 + w] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)   # sensor noise
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def run(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def raw_rows(a):
    """Raw camera frames to luma and RGB: `sightline-bench raw` beside `sws_direct`, same seeded frame, same run."""
    rows = []
    for fmt, w, h, scale in [("yuyv", 640, 480, 1), ("i420", 640, 360, 1), ("yuyv", 1280, 720, 2),
                             ("nv12", 1280, 720, 2)]:
        for gray in (False, True):
            args = [fmt, str(w), str(h), str(scale)]
            ours = run([a.sightline, "raw", "--format", fmt, "--width", str(w), "--height", str(h), "--scale", str(scale),
                        "--seconds", str(a.seconds), "--json"] + (["--gray"] if gray else []))
            peer = run([a.raw_peer] + args + ["1" if gray else "0", str(a.seconds)])
            assert (ours["width"], ours["height"]) == (peer["width"], peer["height"]), (ours, peer)
            rows.append({"format": fmt, "size": f"{w}x{h}",
                         "out": f'{ours["width"]}x{ours["height"]} {"luma" if gray else "luma+RGB"}',
                         "sightline_us": round(ours["mean_us"], 1), "swscale_us": round(peer["mean_us"], 1),
                         "ratio": round(ours["mean_us"] / peer["mean_us"], 3),
                         "sightline_best_us": round(ours["best_us"], 1), "swscale_best_us": round(peer["best_us"], 1),
                         "best_ratio": round(ours["best_us"] / peer["best_us"], 3)})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sightline")
    ap.add_argument("direct")
    ap.add_argument("workdir")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--raw-peer", help="sws_direct (Benchmarks/decode/sws_direct.c): also time raw frame conversion")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    files = []
    for (w, h) in [(640, 480), (1280, 720)]:
        path = os.path.join(a.workdir, f"camera-{w}x{h}-q85.jpg")
        camera_like(w, h, seed=w).save(path, "JPEG", quality=85)
        files.append((f"{w}x{h}", path))
    cases = [(1, False), (1, True), (2, False), (4, False), (4, True)]
    rows = []
    for label, path in files:
        for scale, gray in cases:
            ours = run([a.sightline, "decode", path, "--scale", str(scale), "--seconds", str(a.seconds),
                        "--json"] + (["--gray"] if gray else []))
            peer = run([a.direct, path, str(scale), "1" if gray else "0", str(a.seconds)])
            assert (ours["width"], ours["height"]) == (peer["width"], peer["height"]), (ours, peer)
            rows.append({"size": label, "scale": scale, "gray": gray, "out": f'{ours["width"]}x{ours["height"]}',
                         "sightline_us": round(ours["mean_us"], 1), "libjpeg_us": round(peer["mean_us"], 1),
                         "ratio": round(ours["mean_us"] / peer["mean_us"], 3),
                         "sightline_best_us": round(ours["best_us"], 1), "libjpeg_best_us": round(peer["best_us"], 1),
                         "best_ratio": round(ours["best_us"] / peer["best_us"], 3)})
    raw = raw_rows(a) if a.raw_peer else []
    if a.json:
        json.dump({"jpeg": rows, "raw": raw} if raw else rows, sys.stdout, indent=1)
        print()
        return
    print(f'{"source":<10}{"decode":<11}{"output":<10}{"Sightline µs":>13}{"libjpeg µs":>12}{"ratio":>7}'
          f'{"best: ours":>12}{"libjpeg":>9}{"ratio":>7}')
    for r in rows:
        mode = f'1/{r["scale"]} {"gray" if r["gray"] else "RGB"}'
        print(f'{r["size"]:<10}{mode:<11}{r["out"]:<10}{r["sightline_us"]:>13.1f}{r["libjpeg_us"]:>12.1f}'
              f'{r["ratio"]:>7.3f}{r["sightline_best_us"]:>12.1f}{r["libjpeg_best_us"]:>9.1f}{r["best_ratio"]:>7.3f}')
    print("ratio = Sightline / libjpeg-turbo called directly, thread CPU time per decode (mean, then best);"
          " 1.00 = same speed")
    if raw:
        print()
        print(f'{"source":<16}{"output":<16}{"Sightline µs":>13}{"swscale µs":>12}{"ratio":>7}'
              f'{"best: ours":>12}{"swscale":>9}{"ratio":>7}')
        for r in raw:
            source = f'{r["format"]} {r["size"]}'
            print(f'{source:<16}{r["out"]:<16}{r["sightline_us"]:>13.1f}{r["swscale_us"]:>12.1f}{r["ratio"]:>7.3f}'
                  f'{r["sightline_best_us"]:>12.1f}{r["swscale_best_us"]:>9.1f}{r["best_ratio"]:>7.3f}')
        print("raw: one camera frame to luma (and RGB) at the output size; ratio = Sightline's RawConversion /"
              " libswscale called directly (SWS_POINT at full size, SWS_AREA when reducing), thread CPU time per frame")


if __name__ == "__main__":
    main()
