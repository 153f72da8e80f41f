#!/usr/bin/env python3
"""The ONNX Runtime peer of the face-embedding benchmark (Benchmarks/embed/run.py runs it in its own process).

Runs the graph onnx_export.py made from dlib's .dat on the CPU execution provider with one thread
(intra_op_num_threads=1, sequential execution, all graph optimisations), on 150x150 RGB chips given as
image files (the golden PPMs), with the same protocol and the same JSON output as dlib_peer.cpp: per
repetition the wall and process-CPU milliseconds of "batch 1" (16 runs of one chip, the chips cycled) and
"batch 16" (one run of the 16 chips), and each distinct chip's descriptor computed alone and in one batch.

Usage: onnx_peer.py MODEL.onnx [--reps N] CHIP...
"""
import argparse
import json
import time

import numpy as np
import onnxruntime
from PIL import Image


def load_chip(path):
    chip = np.asarray(Image.open(path).convert("RGB"))
    if chip.shape != (150, 150, 3):
        raise SystemExit(f"{path}: expected a 150x150 chip, got {chip.shape[1]}x{chip.shape[0]}")
    return chip


def session(model):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("chips", nargs="+")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    if not 1 <= args.reps <= 1000:
        parser.error("--reps must be 1...1000")

    distinct = np.stack([load_chip(path) for path in args.chips])
    sixteen = np.ascontiguousarray(distinct[np.arange(16) % len(distinct)])
    singles = [np.ascontiguousarray(chip[None]) for chip in sixteen]
    runner = session(args.model)

    def embed(batch):
        return runner.run(["descriptors"], {"chips": batch})[0]

    alone = [embed(np.ascontiguousarray(chip[None]))[0] for chip in distinct]
    batched = embed(np.ascontiguousarray(distinct))
    for single in singles[:3]:
        embed(single)
    embed(sixteen)

    def measure(work):
        samples = {"wall_ms": [], "cpu_ms": []}
        for _ in range(args.reps):
            wall, cpu = time.perf_counter(), time.process_time()
            work()
            samples["cpu_ms"].append((time.process_time() - cpu) * 1000)
            samples["wall_ms"].append((time.perf_counter() - wall) * 1000)
        return samples

    one = measure(lambda: [embed(single) for single in singles])
    many = measure(lambda: embed(sixteen))
    print(json.dumps({
        "runtime": f"ONNX Runtime {onnxruntime.__version__}",
        "blas": "MLAS (ONNX Runtime's own kernels)",
        "faces_per_rep": 16,
        "batch1": one,
        "batch16": many,
        "descriptors": [d.tolist() for d in alone],
        "descriptors_batched": batched.tolist(),
    }))


if __name__ == "__main__":
    main()
