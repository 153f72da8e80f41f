#!/usr/bin/env python3
"""Face embedding: Sightline beside dlib-bin, dlib C++ + OpenBLAS and ONNX Runtime, same chips, same run.

Chips: the six 150x150 chips dlib cut from real photographs (Tests/FaceKitTests/Golden/photo-*.ppm), cycled
to 16. Protocol for every runtime, one thread: "batch 1" is 16 calls of one chip, "batch 16" one call of 16
chips; a repetition embeds 16 faces; the best repetition is reported (wall time, and CPU time of the process
or thread). GFLOP/s counts the network's 0.5417 GFLOP per face (2 x 270.85 M multiply-adds).

The dlib C++ and ONNX Runtime anchors are measuring instruments kept outside the project
(../shared/anchors/embed): the C++ program is built against Debian's libdlib-dev when pkg-config finds it; it
also dumps the layer list and weights that the anchors' export_onnx.py turns into an ONNX graph. Either is
skipped with a note when its tools are missing.

Usage: run.py SIGHTLINE_BIN WORKDIR [--anchors DIR] [--reps N] [--json]
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(TOP, "Models", "files", "dlib_face_recognition_resnet_model_v1.dat")
GFLOP = 2 * 270854144 / 1e9


def chips():
    paths = sorted(glob.glob(os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "photo-*.ppm")))
    return [np.asarray(Image.open(p).convert("RGB")) for p in paths]


def best(samples):
    return min(samples) if samples else float("nan")


def timed(function, reps):
    """Runs function() reps times; returns (best wall ms, best CPU ms) per repetition."""
    walls, cpus = [], []
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return best(walls), best(cpus)


def sightline(binary, pngs, batch, reps):
    command = [binary, "bench", "embed", "--batch", str(batch), "--json", "--seconds", "3"]
    for png in pngs:
        command += ["--chip", png]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    return result["best_ms_per_face"], result["best_cpu_ms_per_face"]


def sightline_descriptors(binary, pngs):
    command = [binary, "faces", "embed", "--json"]
    for png in pngs:
        command += ["--chip", png]
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    return np.array([json.loads(line)["descriptor"] for line in lines], np.float32)


def dlib_bin(faces, reps):
    import dlib
    model = dlib.face_recognition_model_v1(MODEL)
    model.compute_face_descriptor(faces[0], 0)
    one = timed(lambda: [model.compute_face_descriptor(face, 0) for face in faces], reps)
    many = timed(lambda: model.compute_face_descriptor(faces, 0), reps)
    reference = np.array([model.compute_face_descriptor(face, 0) for face in faces[:6]], np.float32)
    return {1: one, 16: many}, reference, dlib.__version__


def dlib_cpp(anchors, work, reps):
    """Builds and runs the anchors' C++ program; returns ({batch: (wall, cpu)}, note)."""
    source = os.path.join(anchors, "dlib_embed_bench.cpp")
    if not os.path.isfile(source):
        return None, f"skipped: {source} not found"
    if not shutil.which("g++") or subprocess.run(["pkg-config", "--exists", "dlib-1"]).returncode != 0:
        return None, "skipped: needs Debian libdlib-dev libopenblas-dev g++ pkg-config"
    binary = os.path.join(work, "dlib_embed_bench")
    if not os.path.isfile(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "dlib-1"], check=True, capture_output=True,
                               text=True).stdout.split()
        subprocess.run(["g++", "-std=c++17", "-O3", "-march=native", "-DNDEBUG", source, "-o", binary] + flags,
                       check=True)
    data = os.path.join(work, "data")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    if not os.path.isfile(os.path.join(data, "net.txt")):
        subprocess.run([binary, MODEL, data, "dump"], check=True, capture_output=True, env=env)
    # The program times the HOG detector last, on hog640.png; its embedding figures come first.
    run = subprocess.run([binary, MODEL, data, "time", str(reps)], capture_output=True, text=True, env=env)
    raw = {}
    for line in run.stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == "RAW" and fields[1] in ("dlib_batch1", "dlib_batch16"):
            raw[(int(fields[1][len("dlib_batch"):]), fields[2])] = [float(v) * 16 for v in fields[3:]]
    if (1, "wall") not in raw or (16, "wall") not in raw:
        return None, f"failed: {run.stderr.strip()[-300:]}"
    version = subprocess.run(["pkg-config", "--modversion", "dlib-1"], capture_output=True, text=True).stdout.strip()
    return {b: (best(raw[(b, "wall")]), best(raw[(b, "cpu")])) for b in (1, 16)}, f"dlib {version} + OpenBLAS"


def onnx_runtime(anchors, work, faces, reps):
    """Exports the network with the anchors' exporter (needs the C++ dump) and times ONNX Runtime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None, None, "skipped: PyPI onnxruntime not installed"
    data = os.path.join(work, "data")
    exporter = os.path.join(anchors, "export_onnx.py")
    if not os.path.isfile(os.path.join(data, "net.txt")) or not os.path.isfile(exporter):
        return None, None, "skipped: the exporter needs the dlib C++ anchor's layer and weight dump"
    model = os.path.join(data, "dlib_face_resnet_v1.onnx")
    if not os.path.isfile(model):
        subprocess.run([sys.executable, exporter, data, model], check=True, capture_output=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    batch = np.ascontiguousarray(np.stack(faces))
    for _ in range(3):
        session.run(None, {"chips_u8": batch[:1]})
    session.run(None, {"chips_u8": batch})
    one = timed(lambda: [session.run(None, {"chips_u8": batch[i:i + 1]}) for i in range(len(batch))], reps)
    many = timed(lambda: session.run(None, {"chips_u8": batch}), reps)
    descriptors = session.run(None, {"chips_u8": batch[:6]})[0]
    return {1: one, 16: many}, descriptors, f"onnxruntime {ort.__version__}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sightline")
    parser.add_argument("work")
    parser.add_argument("--anchors", default=os.path.join(TOP, "..", "shared", "anchors", "embed"))
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    anchors = os.path.abspath(args.anchors)

    real = chips()
    faces = [real[i % len(real)] for i in range(16)]
    pngs = []
    data = os.path.join(args.work, "data")
    os.makedirs(data, exist_ok=True)
    for i, chip in enumerate(real):
        pngs.append(os.path.join(args.work, f"chip{i}.png"))
        Image.fromarray(chip).save(pngs[-1])
    np.stack(real).astype(np.uint8).tofile(os.path.join(data, "chips.u8"))
    canvas = Image.new("RGB", (640, 480))
    for i, chip in enumerate(real):
        canvas.paste(Image.fromarray(chip), (150 * (i % 4), 150 * (i // 4)))
    canvas.save(os.path.join(data, "hog640.png"))

    rows, notes = {}, []
    ours = sightline_descriptors(args.sightline, pngs)
    rows["Sightline"] = {b: sightline(args.sightline, pngs, b, args.reps) for b in (1, 16)}
    dlib_rows, reference, dlib_version = dlib_bin(faces, max(2, args.reps // 3))
    rows[f"dlib-bin {dlib_version} (no BLAS)"] = dlib_rows
    notes.append(f"Sightline vs dlib-bin descriptors: max L2 {np.linalg.norm(ours - reference, axis=1).max():.2e} "
                 f"over {len(real)} real chips")
    cpp, note = dlib_cpp(anchors, args.work, args.reps)
    if cpp:
        rows[note] = cpp
    else:
        notes.append(f"dlib C++ + OpenBLAS {note}")
    ort_rows, ort_descriptors, note = onnx_runtime(anchors, args.work, faces, args.reps)
    if ort_rows:
        rows[note] = ort_rows
        notes.append(f"ONNX Runtime vs dlib-bin descriptors: max L2 "
                     f"{np.linalg.norm(ort_descriptors - reference, axis=1).max():.2e}")
    else:
        notes.append(f"ONNX Runtime {note}")

    ms = {name: {b: (wall / 16 if name != "Sightline" else wall, cpu / 16 if name != "Sightline" else cpu)
                 for b, (wall, cpu) in per.items()} for name, per in rows.items()}
    if args.json:
        print(json.dumps({"ms_per_face": ms, "notes": notes}))
        return
    print(f"one thread, best of {args.reps} repetitions of 16 faces; load {os.getloadavg()[0]:.2f}")
    print(f"{'runtime':34s} {'batch':>5s} {'ms/face':>8s} {'cpu ms':>7s} {'faces/s':>8s} {'GFLOP/s':>8s}"
          f" {'Sightline speed-up (wall, cpu)':>31s}")
    for name, per in ms.items():
        for b, (wall, cpu) in per.items():
            ratio = "" if name == "Sightline" else \
                f"{wall / ms['Sightline'][b][0]:8.2f}x {cpu / ms['Sightline'][b][1]:8.2f}x"
            print(f"{name:34s} {b:5d} {wall:8.3f} {cpu:7.3f} {1000 / wall:8.1f} {GFLOP / wall * 1000:8.1f} {ratio:>31s}")
    for note in notes:
        print(note)
    dlib_name = [n for n in ms if n.startswith("dlib-bin")][0]
    print(f"targets: >= 12x dlib-bin faces/s: batch 1 {ms[dlib_name][1][0] / ms['Sightline'][1][0]:.1f}x, "
          f"batch 16 {ms[dlib_name][16][0] / ms['Sightline'][16][0]:.1f}x", end="")
    ort_name = [n for n in ms if n.startswith("onnxruntime")]
    if ort_name:
        o = ms[ort_name[0]]
        print(f"; time per face <= 1.5x ONNX Runtime: batch 1 {ms['Sightline'][1][0] / o[1][0]:.2f}x, "
              f"batch 16 {ms['Sightline'][16][0] / o[16][0]:.2f}x (cpu {ms['Sightline'][1][1] / o[1][1]:.2f}x, "
              f"{ms['Sightline'][16][1] / o[16][1]:.2f}x)")
    else:
        print()


if __name__ == "__main__":
    main()
