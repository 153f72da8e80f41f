#!/usr/bin/env python3
"""H.264 decode on one thread: Sightline's FFmpeg shim beside the ffmpeg program, same files, same run.

Encodes camera-like H.264 clips (testsrc2 with sensor noise, 12 s at 25 fps, x264 preset veryfast with
B-frames) at 1280x720 and 1920x1080, then for each:
  decode        `sightline-bench video --decode-only`  vs  `ffmpeg -threads 1 -i F -f null -`
  640 luma      `sightline-bench video --width 640`    vs  `ffmpeg -threads 1 -i F -vf scale=640:-2 -pix_fmt gray -f null -`
                (and the same with `-sws_flags bilinear -filter_threads 1`, the scaler Sightline uses)
Both sides are timed in CPU seconds (ours: the decoding thread's CPU time; ffmpeg: its -benchmark utime+stime,
all of its threads), best of --runs, the two sides' runs interleaved so that a change in the shared machine's load
falls on both. Ratio = Sightline fps / ffmpeg fps (1.00 = same speed, higher is better
for Sightline). Usage: run.py SIGHTLINE_BENCH_BIN WORKDIR [--runs N] [--json]
"""
import argparse
import json
import os
import re
import subprocess

SECONDS = 12


def encode(path, size):
    if os.path.exists(path):
        return
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=25", "-t", str(SECONDS), "-vf", "noise=alls=6:allf=t",
                    "-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-pix_fmt", "yuv420p", path], check=True)


def ours(bench, path, extra):
    out = subprocess.run([bench, "video", path, "--json"] + extra, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["frames"] / result["cpu_s"], result["frames"]


def peer(path, filters):
    cmd = ["ffmpeg", "-nostdin", "-benchmark", "-threads", "1", "-i", path] + filters + ["-f", "null", "-"]
    err = subprocess.run(cmd, check=True, capture_output=True, text=True).stderr
    m = re.search(r"utime=([0-9.]+)s stime=([0-9.]+)s", err)
    frames = re.findall(r"frame=\s*([0-9]+)", err)
    cpu = float(m.group(1)) + float(m.group(2))
    return int(frames[-1]) / cpu, int(frames[-1])


def best_of_interleaved(ours_fn, peer_fn, runs):
    """Runs the two sides alternately; returns each side's best (fps, frames)."""
    a, b = [], []
    for _ in range(runs):
        a.append(ours_fn())
        b.append(peer_fn())
    return max(r[0] for r in a), a[0][1], max(r[0] for r in b), b[0][1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sightline")
    ap.add_argument("workdir")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = []
    for size in ["1280x720", "1920x1080"]:
        path = os.path.join(a.workdir, f"camera-{size}-{SECONDS}s.mp4")
        encode(path, size)
        cases = [
            ("decode", ["--decode-only"], []),
            ("640 luma", ["--width", "640"], ["-vf", "scale=640:-2", "-pix_fmt", "gray"]),
            ("640 luma, bilinear", ["--width", "640"],
             ["-sws_flags", "bilinear", "-filter_threads", "1", "-vf", "scale=640:-2", "-pix_fmt", "gray"]),
        ]
        for name, our_args, peer_args in cases:
            fps, frames, peer_fps, peer_frames = best_of_interleaved(
                lambda: ours(a.sightline, path, our_args), lambda: peer(path, peer_args), a.runs)
            rows.append({"size": size, "case": name, "frames": frames, "peer_frames": peer_frames,
                         "sightline_fps": round(fps, 1), "ffmpeg_fps": round(peer_fps, 1),
                         "ratio": round(fps / peer_fps, 3)})
    if a.json:
        print(json.dumps(rows))
        return
    print(f"{'size':<10} {'case':<20} {'frames':>6} {'Sightline fps':>14} {'ffmpeg fps':>11} {'ratio':>6}")
    for r in rows:
        print(f"{r['size']:<10} {r['case']:<20} {r['frames']:>6} {r['sightline_fps']:>14} {r['ffmpeg_fps']:>11} "
              f"{r['ratio']:>6.2f}")


if __name__ == "__main__":
    main()
