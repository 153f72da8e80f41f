#!/usr/bin/env python3
"""Exact k-NN: `sightline-bench matcher` beside FAISS IndexFlatL2 and USearch exact search, same vectors.

Writes seeded random unit vectors (float32, dim 128) to WORKDIR, which Sightline and the peers read. Every
figure is CPU time per query on one core (faiss.omp_set_num_threads(1), USearch threads=1, Sightline
--threads 1): the box is shared, so CPU time is steadier than wall time (wall is printed too). Ratios are
peer / Sightline (higher is better for Sightline). Sightline's top-1 answers are compared with FAISS's
(agreement) and its compact formats report recall@1 against its own exact float32 search.

Both sides can be held to one SIMD level: SIGHTLINE_ISA (portable, avx2, avx-vnni, avx512; read by Sightline's
int8 dispatcher) and FAISS_SIMD_LEVEL (NONE, AVX2, AVX512; read by faiss-cpu >= 1.13). When only SIGHTLINE_ISA is
set, FAISS is held to the matching level (avx2 and avx-vnni: AVX2), and the OpenBLAS inside faiss-cpu (its batch
searches) to the matching core (OPENBLAS_CORETYPE Haswell or SkylakeX) unless OPENBLAS_CORETYPE is set. Sightline's
float kernels are Swift SIMD code compiled for SIGHTLINE_MARCH at build time (x86-64-v3: AVX2): the level each side
actually used is printed.
Beside the f32 rows the run prints the streaming floor (stream_floor.c, built here with the level's -march): the
CPU time of one core merely reading the same N x 128 floats once. A single-query f32 scan cannot go below it.
Usage: run.py SIGHTLINE_BIN WORKDIR [--quick] [--json] [--sizes N,N] [--formats F,F] [--no-usearch]
"""
import argparse
import ctypes
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np


def unit_vectors(n, dim, seed):
    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32)


def timed(fn, min_seconds, min_runs=1):
    """CPU and wall seconds per call of fn, repeated until min_seconds of CPU time have passed."""
    fn()  # warm-up
    runs, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    while runs < min_runs or time.process_time() - cpu0 < min_seconds:
        result = fn()
        runs += 1
    return (time.process_time() - cpu0) / runs, (time.perf_counter() - wall0) / runs, result


SIGHTLINE_CAPS = {"portable": "NONE", "avx2": "AVX2", "neon": None, "avx-vnni": "AVX2", "avx512": "AVX512"}
OPENBLAS_CORES = {"AVX2": "Haswell", "AVX512": "SkylakeX"}
CAP_RANKS = {"portable": 0, "avx2": 1, "neon": 1, "avx-vnni": 2, "avx512": 3}
# The float kernels' width a level requires (Swift SIMD code, fixed by SIGHTLINE_MARCH at build time).
FLOAT_BITS = {"avx2": 256, "avx-vnni": 256, "avx512": 512}
KERNEL_RANKS = {"portable": 0, "avx2": 1, "neon-dotprod": 1, "avx-vnni": 2, "avx512-vnni": 3}


def hold_levels():
    """Checks SIGHTLINE_ISA and sets FAISS_SIMD_LEVEL / OPENBLAS_CORETYPE to match it before faiss is imported."""
    isa = os.environ.get("SIGHTLINE_ISA", "")
    if isa and isa not in SIGHTLINE_CAPS:
        sys.exit(f"run.py: SIGHTLINE_ISA={isa!r} is not one of {', '.join(SIGHTLINE_CAPS)}")
    if os.environ.get("FAISS_SIMD_LEVEL") == "":
        del os.environ["FAISS_SIMD_LEVEL"]  # faiss aborts on an empty value
    if isa and "FAISS_SIMD_LEVEL" not in os.environ and SIGHTLINE_CAPS[isa]:
        os.environ["FAISS_SIMD_LEVEL"] = SIGHTLINE_CAPS[isa]
    level = os.environ.get("FAISS_SIMD_LEVEL")
    if level in OPENBLAS_CORES and "OPENBLAS_CORETYPE" not in os.environ:
        os.environ["OPENBLAS_CORETYPE"] = OPENBLAS_CORES[level]


def stream_floor(workdir, isa, n, dim, seconds):
    """Min and median CPU µs of one pass reading n x dim floats (stream_floor.c), or None without a C compiler."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stream_floor.c")
    march = "x86-64-v3" if FLOAT_BITS.get(isa) == 256 else "native"
    binary = os.path.join(workdir, f"stream_floor-{march}")
    if not os.path.isfile(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        build = subprocess.run(["gcc", "-std=c11", "-O2", f"-march={march}", source, "-o", binary],
                               capture_output=True, text=True)
        if build.returncode != 0:
            print(f"run.py: no streaming floor (gcc failed: {build.stderr.strip()[-300:]})", file=sys.stderr)
            return None
    result = json.loads(subprocess.run([binary, str(n), str(dim), str(seconds)], check=True, capture_output=True,
                                       text=True).stdout)
    return result["min_us"], result["median_us"]


def faiss_levels(faiss):
    """The SIMD level faiss dispatches to and the core its OpenBLAS chose, as faiss and OpenBLAS report them."""
    try:
        level = faiss.SIMDConfig.get_level_name()
    except AttributeError:
        level = "compiled: " + faiss.get_compile_options().strip()
    core = "?"
    for lib in glob.glob(os.path.join(os.path.dirname(faiss.__file__), "..", "faiss_cpu.libs", "libopenblas*")):
        try:
            blas = ctypes.CDLL(lib)
            blas.openblas_get_corename.restype = ctypes.c_char_p
            core = blas.openblas_get_corename().decode()
        except (OSError, AttributeError):
            pass
    return level, core


# Targets per row, by the level both sides are held to: (n, format, batch) -> ratio FAISS / Sightline.
TARGETS_AVX512 = {(1_000, "f32", 1): 3, (1_000, "i8", 1): 3, (10_000, "f32", 1): 3, (10_000, "i8", 1): 3,
                  (1_000_000, "f32", 1): 0.91, (1_000_000, "f16", 1): 1.8, (1_000_000, "i8", 1): 3.5,
                  (100_000, "f32", 64): 1, (100_000, "f32", 1024): 1}
TARGETS_AVX2 = {(10_000, "f32", 1): 1.2, (10_000, "i8", 1): 3, (1_000_000, "f32", 1): 1.2, (1_000_000, "i8", 1): 3}


def main():
    hold_levels()
    parser = argparse.ArgumentParser()
    parser.add_argument("sightline")
    parser.add_argument("workdir")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sizes", help="only these gallery sizes, comma-separated (e.g. 10000,1000000)")
    parser.add_argument("--formats", help="only these formats, comma-separated (e.g. f32,i8)")
    parser.add_argument("--no-usearch", action="store_true", help="FAISS only (USearch's figures print as 0)")
    args = parser.parse_args()

    import faiss
    from usearch.index import MetricKind, search as usearch_search
    faiss.omp_set_num_threads(1)
    faiss_level, blas_core = faiss_levels(faiss)
    isa = os.environ.get("SIGHTLINE_ISA", "")
    targets = TARGETS_AVX2 if isa in ("avx2", "avx-vnni") else TARGETS_AVX512

    dim, seconds = 128, (0.3 if args.quick else 1.0)
    big = 100_000 if args.quick else 1_000_000
    # The cache-resident sizes run in float32 and int8 (int8 returns float32's exact answer too).
    cases = [(1_000, "f32", 1), (1_000, "i8", 1), (10_000, "f32", 1), (10_000, "i8", 1),
             (big, "f32", 1), (big, "f16", 1), (big, "i8", 1),
             (100_000, "f32", 64), (100_000, "f32", 1024)]
    if args.sizes:
        keep = {int(v) for v in args.sizes.split(",")}
        cases = [c for c in cases if c[0] in keep]
    if args.formats:
        cases = [c for c in cases if c[1] in args.formats.split(",")]
    rows = []
    data_cache = {}
    for n, fmt, batch in cases:
        nq = max(batch, 20 if n >= 100_000 else 200)
        if n not in data_cache:
            base, queries = unit_vectors(n, dim, 1), unit_vectors(max(1024, nq), dim, 2)
            data_path = os.path.join(args.workdir, f"base-{n}.f32")
            query_path = os.path.join(args.workdir, "queries.f32")
            base.tofile(data_path)
            queries.tofile(query_path)
            index = faiss.IndexFlatL2(dim)
            index.add(base)
            data_cache = {n: (base, queries, data_path, query_path, index)}
        base, queries, data_path, query_path, index = data_cache[n]
        q = queries[:nq]

        answers = os.path.join(args.workdir, "answers.i64")
        proc = subprocess.run(
            [args.sightline, "matcher", "--n", str(n), "--dim", str(dim), "--format", fmt,
             "--batch", str(batch), "--threads", "1", "--queries", str(nq), "--seconds", str(seconds),
             "--data", data_path, "--query-data", query_path, "--answers", answers, "--json"],
            check=True, capture_output=True, text=True)
        ours = json.loads(proc.stdout.strip().splitlines()[-1])
        bits = FLOAT_BITS.get(isa)
        if bits and ours.get("float_simd_bits") != bits:
            sys.exit(f"run.py: SIGHTLINE_ISA={isa} but sightline-bench's float kernels are "
                     f"{ours.get('float_simd_bits')}-bit: build it with SIGHTLINE_MARCH="
                     f"{'x86-64-v3' if bits == 256 else 'native'} (the float scans' width is fixed at build time)")
        our_ids = np.fromfile(answers, dtype=np.int64)

        if batch == 1:
            def faiss_run():
                return np.concatenate([index.search(q[i:i + 1], 1)[1][:, 0] for i in range(nq)])

            def usearch_run():
                return np.concatenate([usearch_search(base, q[i], 1, MetricKind.L2sq, exact=True, threads=1).keys[:1]
                                       for i in range(nq)])
        else:
            def faiss_run():
                return np.concatenate([index.search(q[s:s + batch], 1)[1][:, 0] for s in range(0, nq, batch)])

            def usearch_run():
                m = usearch_search(base, q, 1, MetricKind.L2sq, exact=True, threads=1)
                return np.asarray(m.keys).reshape(nq, -1)[:, 0]
        f_cpu, f_wall, f_ids = timed(faiss_run, seconds)
        u_cpu, u_wall = timed(usearch_run, seconds)[:2] if not args.no_usearch else (0.0, 0.0)
        f_us, u_us = f_cpu / nq * 1e6, u_cpu / nq * 1e6
        s_us = ours["cpu_us_per_query"]
        rows.append({
            "n": n, "format": fmt, "batch": batch, "sightline_us": s_us, "sightline_wall_us": ours["us_per_query"],
            "faiss_f32_us": f_us, "faiss_wall_us": f_wall / nq * 1e6, "usearch_f32_us": u_us,
            "usearch_wall_us": u_wall / nq * 1e6,
            "faiss_over_sightline": f_us / s_us, "usearch_over_sightline": u_us / s_us,
            "recall_at_1": ours["recall_at_1"], "top1_agreement_with_faiss": float(np.mean(our_ids == f_ids)),
            "int8_kernel": ours.get("int8_kernel", "?"), "float_simd_bits": ours.get("float_simd_bits", "?"),
            "sightline_isa": isa, "faiss_simd_level": faiss_level, "faiss_openblas_core": blas_core,
            "target": targets.get((n, fmt, batch)),
            "stream_floor_us": stream_floor(args.workdir, isa, n, dim, seconds) if fmt == "f32" and batch == 1
            else None,
        })

    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"levels: Sightline int8 kernel {rows[0]['int8_kernel']} (SIGHTLINE_ISA={isa or 'unset'}), float kernels "
          f"{rows[0]['float_simd_bits']}-bit SIMD (SIGHTLINE_MARCH at build); FAISS SIMD level {faiss_level} "
          f"(FAISS_SIMD_LEVEL={os.environ.get('FAISS_SIMD_LEVEL', 'unset')}), its OpenBLAS core {blas_core}")
    if isa and KERNEL_RANKS.get(rows[0]["int8_kernel"], 0) > CAP_RANKS[isa]:
        print(f"WARNING: Sightline ran its {rows[0]['int8_kernel']} kernel above SIGHTLINE_ISA={isa} "
              "(a binary that predates the cap?): its i8 rows are not held to that level")
    print(f"{'n':>9} {'fmt':>4} {'batch':>5} | {'Sightline':>11} {'FAISS f32':>11} {'USearch':>11} | "
          f"{'FAISS/us':>8} {'USearch/us':>10} | recall@1 agree | target")
    for r in rows:
        goal = r["target"]
        mark = "" if goal is None else f"≥ {goal}x {'✓' if r['faiss_over_sightline'] >= goal else '✗'}"
        print(f"{r['n']:>9} {r['format']:>4} {r['batch']:>5} | {r['sightline_us']:>9.1f}µs {r['faiss_f32_us']:>9.1f}µs "
              f"{r['usearch_f32_us']:>9.1f}µs | {r['faiss_over_sightline']:>7.2f}x {r['usearch_over_sightline']:>9.2f}x | "
              f"{r['recall_at_1']:.3f}    {r['top1_agreement_with_faiss']:.3f} | {mark}")
    floors = [r for r in rows if r["stream_floor_us"]]
    if floors:
        print("streaming floor, one core reading the same float32 vectors once (stream_floor.c), min / median µs: "
              + ", ".join(f"N={r['n']} {r['stream_floor_us'][0]:.1f} / {r['stream_floor_us'][1]:.1f}" for r in floors))
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("µs = CPU time per query, one core; ratios are peer time / Sightline time (higher: Sightline faster).")
    print("fmt = Sightline's storage (FAISS is float32 in every row). f32 scans float32 exactly; f16/i8 screen the")
    print("compact copy and re-rank candidates exactly in float32 (same answer as f32).")
    print("Targets (FAISS / Sightline): " + ("AVX2: i8 and f32 at 1e4 and 1e6 (issue 19)." if targets is TARGETS_AVX2
                                             else "AVX-512: as in Sources/Matcher/README.md."))


if __name__ == "__main__":
    main()
