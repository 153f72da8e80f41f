#!/usr/bin/env python3
"""Face embedding: Sightline beside dlib-bin, dlib C++ + OpenBLAS and ONNX Runtime, same chips, same run.

Chips: the six 150x150 chips dlib cut from real photographs (Tests/FaceKitTests/Golden/photo-*.ppm), cycled
to 16. Protocol for every runtime, one thread: "batch 1" is 16 calls of one chip, "batch 16" one call of 16
chips; a repetition embeds 16 faces; the best repetition is reported (wall time, and CPU time of the process
or thread). GFLOP/s counts the network's 0.5417 GFLOP per face (2 x 270.85 M multiply-adds).

The peers, all in this folder:
- dlib-bin (PyPI), in this process;
- dlib_peer.cpp, built here with g++ against Debian's libdlib-dev and libopenblas-dev (OPENBLAS_NUM_THREADS=1);
- onnx_peer.py, ONNX Runtime (PyPI) on the graph onnx_export.py builds from dlib_peer's dump of the .dat.

Parity: every runtime's descriptors of the six chips (alone and, for the peers, batched) must lie within
1e-5 (Euclidean) of dlib-bin's; otherwise its timings measure a different computation, and the run says so
and exits with status 1.

Levels (Benchmarks/levels.py): with SIGHTLINE_ISA set (avx2: `make bench SIGHTLINE_MARCH=x86-64-v3
SIGHTLINE_ISA=avx2`) the run refuses a sightline-bench whose kernels were built for another width, builds
dlib_peer with the matching -march (x86-64-v3) and holds its OpenBLAS to the matching core kernels
(OPENBLAS_CORETYPE=Haswell), checked through openblas_get_corename. dlib-bin and ONNX Runtime have no switch:
the run names the level they run at.

Usage: run.py SIGHTLINE_BIN SIGHTLINE_BENCH_BIN WORKDIR [--reps N] [--json]
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import levels  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
MODEL = os.path.join(TOP, "Models", "files", "dlib_face_recognition_resnet_model_v1.dat")
GFLOP = 2 * 270854144 / 1e9
PARITY_LIMIT = 1e-5
SCRIPT = "Benchmarks/embed/run.py"


class PeerError(Exception):
    pass


def chip_paths():
    paths = sorted(glob.glob(os.path.join(TOP, "Tests", "FaceKitTests", "Golden", "photo-*.ppm")))
    if not paths:
        raise PeerError("no chips: Tests/FaceKitTests/Golden/photo-*.ppm not found")
    return paths


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


def stale(target, *sources):
    return not os.path.isfile(target) or any(os.path.getmtime(target) < os.path.getmtime(s) for s in sources)


def sightline(binary, pngs, batch, reps, held, notes):
    command = [binary, "embed", "--batch", str(batch), "--json", "--seconds", "3"]
    for png in pngs:
        command += ["--chip", png]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    target = result.get("target", "unknown")
    levels.check_sightline_target(SCRIPT, held, target)
    if batch == 1:
        notes.append(f"Sightline's kernels: {target} (SIGHTLINE_MARCH at build)")
    return result["best_ms_per_face"], result["best_cpu_ms_per_face"]


def sightline_descriptors(binary, pngs):
    command = [binary, "faces", "embed", "--json"]
    for png in pngs:
        command += ["--chip", png]
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    return np.array([json.loads(line)["descriptor"] for line in lines], np.float32)


def dlib_bin(faces, distinct, reps):
    """Times dlib-bin; returns its rows, its descriptors of the first `distinct` faces (the reference), its version."""
    import dlib
    model = dlib.face_recognition_model_v1(MODEL)
    model.compute_face_descriptor(faces[0], 0)
    one = timed(lambda: [model.compute_face_descriptor(face, 0) for face in faces], reps)
    many = timed(lambda: model.compute_face_descriptor(faces, 0), reps)
    reference = np.array([model.compute_face_descriptor(face, 0) for face in faces[:distinct]], np.float32)
    return {1: one, 16: many}, reference, dlib.__version__


def run_json(command, env=None):
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise PeerError(f"{os.path.basename(command[0])} {os.path.basename(command[1])} failed "
                        f"(status {run.returncode}): {run.stderr.strip()[-500:]}")
    return json.loads(run.stdout.splitlines()[-1])


def build_dlib_peer(work, march):
    """Compiles dlib_peer.cpp for `march` against Debian's dlib (and the BLAS libblas.so points to) when out of
    date; dlib's templates (the layers around the BLAS calls) are compiled here, so -march holds them too."""
    source = os.path.join(HERE, "dlib_peer.cpp")
    binary = os.path.join(work, "dlib_peer" if march == "native" else f"dlib_peer-{march}")
    if not shutil.which("g++") or not shutil.which("pkg-config") or \
            subprocess.run(["pkg-config", "--exists", "dlib-1"]).returncode != 0:
        raise PeerError("the dlib C++ peer needs Debian packages: Tools/ensure-packages g++ pkg-config libdlib-dev "
                        "libopenblas-dev (Benchmarks/embed/bench does this)")
    if stale(binary, source):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "dlib-1"], check=True, capture_output=True,
                               text=True).stdout.split()
        print("building Benchmarks/embed/dlib_peer.cpp (about a minute)", file=sys.stderr)
        build = subprocess.run(["g++", "-std=c++17", "-O3", f"-march={march}", "-DNDEBUG", source,
                                "-o", binary + ".partial"] + flags, capture_output=True, text=True)
        if build.returncode != 0:
            raise PeerError(f"g++ dlib_peer.cpp failed: {build.stderr.strip()[-1500:]}")
        os.replace(binary + ".partial", binary)
    return binary


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_env(binary, notes, held):
    """One BLAS thread, and OpenBLAS's best kernels even on a CPU it does not know, or those of the held level.

    OpenBLAS (Debian builds it with DYNAMIC_ARCH) picks its kernels from the CPU model and falls back to the
    SSE3 "Prescott" kernels for a model it does not know (0.3.21 on Emerald Rapids, for one), which makes dlib
    about three times slower; the peer would then not be the strongest dlib. In that case the kernels the
    CPU's instruction set supports are named through OPENBLAS_CORETYPE. When the run holds a level, its core is
    named whatever the CPU, and openblas_get_corename must report it."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    if held:
        env["OPENBLAS_CORETYPE"] = held["core"]
        core = run_json([binary, "--blas"], env).get("core", "")
        if core.lower() != held["core"].lower():
            raise PeerError(f"OPENBLAS_CORETYPE={held['core']} was not honoured: OpenBLAS reports core '{core}'")
        notes.append(f"the dlib C++ peer is held to SIGHTLINE_ISA={held['isa']}: built with -march={held['march']}, "
                     f"OPENBLAS_CORETYPE={held['core']} (openblas_get_corename: {core})")
        return env
    blas = run_json([binary, "--blas"], env)["blas"]
    if " Prescott " in f" {blas} ":
        flags = cpu_flags()
        core = "SkylakeX" if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags else \
            "Haswell" if {"avx2", "fma"} <= flags else None
        if core:
            env["OPENBLAS_CORETYPE"] = core
            notes.append(f"OpenBLAS does not know this CPU and chose its Prescott (SSE3) kernels; "
                         f"the dlib C++ peer runs with OPENBLAS_CORETYPE={core}")
    return env


def dlib_cpp(work, chips, reps, notes, held):
    """Builds and runs dlib_peer; when the ONNX graph is out of date, the run also writes dlib's XML dump of the
    network for onnx_export.py. Returns the peer's result and the ONNX graph's path."""
    binary = build_dlib_peer(work, held["march"] if held else "native")
    env = openblas_env(binary, notes, held)
    onnx_model = os.path.join(work, "dlib_face_recognition_resnet_model_v1.onnx")
    exporter = os.path.join(HERE, "onnx_export.py")
    command = [binary, MODEL, "--reps", str(reps)]
    xml = os.path.join(work, "dlib_face_recognition_resnet_model_v1.xml")
    if stale(onnx_model, MODEL, binary, exporter):
        command += ["--xml", xml]
    result = run_json(command + chips, env)
    if held and result.get("core", "").lower() != held["core"].lower():
        raise PeerError(f"the timed dlib C++ run used OpenBLAS core '{result.get('core')}', not {held['core']}")
    notes.append(f"dlib C++ peer: {result['blas']}")
    if os.path.isfile(xml):   # 90 MB of text: kept only until the graph is built
        export = subprocess.run([sys.executable, exporter, xml, onnx_model], capture_output=True, text=True)
        os.remove(xml)
        if export.returncode != 0:
            raise PeerError(f"onnx_export.py failed: {export.stderr.strip()[-1500:]}")
    return result, onnx_model


def onnx_runtime(onnx_model, chips, reps):
    return run_json([sys.executable, os.path.join(HERE, "onnx_peer.py"), onnx_model, "--reps", str(reps)] + chips)


def best_of(rows, more):
    """Per batch, the lower wall and the lower CPU time of two rounds."""
    return {b: (min(rows[b][0], more[b][0]), min(rows[b][1], more[b][1])) for b in rows}


def peer_rows(result):
    return {b: (best(result[f"batch{b}"]["wall_ms"]), best(result[f"batch{b}"]["cpu_ms"])) for b in (1, 16)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sightline")
    parser.add_argument("sightline_bench")
    parser.add_argument("work")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of Sightline then dlib C++, each side's best kept (the box's load moves)")
    args = parser.parse_args()
    held = levels.held_level(SCRIPT)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)

    paths = chip_paths()
    real = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    faces = [real[i % len(real)] for i in range(16)]
    pngs = []
    for i, chip in enumerate(real):
        pngs.append(os.path.join(work, f"chip{i}.png"))
        Image.fromarray(chip).save(pngs[-1])

    rows, notes = {}, []
    descriptors = {}    # runtime -> the six chips' descriptors (alone and, for the peers, batched)
    try:
        descriptors["Sightline"] = [sightline_descriptors(args.sightline, pngs)]
        rows["Sightline"] = {b: sightline(args.sightline_bench, pngs, b, args.reps, held, notes) for b in (1, 16)}
        dlib_rows, reference, dlib_version = dlib_bin(faces, len(real), max(2, args.reps // 3))
        rows[f"dlib-bin {dlib_version} (no BLAS)"] = dlib_rows
        import _dlib_pybind11
        notes.append(f"dlib-bin {dlib_version}: {levels.widest_simd(_dlib_pybind11.__file__)}, compiled in")
        cpp, onnx_model = dlib_cpp(work, paths, args.reps, notes, held)
        blas = cpp["blas"].split()
        cpp_name = cpp["runtime"] + (f" + OpenBLAS {blas[1]}" if blas[:1] == ["OpenBLAS"] else " + BLAS")
        rows[cpp_name] = peer_rows(cpp)
        descriptors[cpp_name] = [cpp["descriptors"], cpp["descriptors_batched"]]
        ort = onnx_runtime(onnx_model, paths, args.reps)
        rows[ort["runtime"]] = peer_rows(ort)
        if held:
            notes.append(f"{ort['runtime']} is not held to {held['isa']}: its MLAS kernels follow CPUID (no switch)")
        descriptors[ort["runtime"]] = [ort["descriptors"], ort["descriptors_batched"]]
        # Further rounds of the two sides the held target compares, alternating, each side's best kept.
        for _ in range(1, max(1, args.rounds)):
            again = {b: sightline(args.sightline_bench, pngs, b, args.reps, held, []) for b in (1, 16)}
            rows["Sightline"] = best_of(rows["Sightline"], again)
            rows[cpp_name] = best_of(rows[cpp_name], peer_rows(dlib_cpp(work, paths, args.reps, [], held)[0]))
    except (PeerError, subprocess.CalledProcessError) as error:
        detail = error.stderr.strip()[-500:] if isinstance(error, subprocess.CalledProcessError) else str(error)
        print(f"Benchmarks/embed: {detail or error}", file=sys.stderr)
        sys.exit(1)
    # Largest Euclidean distance to dlib-bin's descriptor of the same chip; a missing or misshapen set fails.
    parity = {}
    for name, sets in descriptors.items():
        distances = [float(np.linalg.norm(np.asarray(d, np.float32) - reference, axis=1).max())
                     if np.shape(d) == reference.shape else float("inf") for d in sets]
        parity[name] = max(distances)
    for name, distance in parity.items():
        notes.append(f"{name} vs dlib-bin descriptors: max L2 {distance:.2e} over {len(real)} real chips")
    disagreeing = {name: d for name, d in parity.items() if not d < PARITY_LIMIT}

    ms = {name: {b: (wall / 16 if name != "Sightline" else wall, cpu / 16 if name != "Sightline" else cpu)
                 for b, (wall, cpu) in per.items()} for name, per in rows.items()}
    if args.json:
        print(json.dumps({"ms_per_face": ms, "parity_max_l2": parity, "notes": notes,
                          "sightline_isa": held["isa"] if held else None}))
    else:
        report(ms, notes, args.reps, held, max(1, args.rounds))
    if disagreeing:
        bar = "!" * 100
        print(f"\n{bar}\nPARITY FAILURE: these runtimes' descriptors are not dlib's (max L2 to dlib-bin must be "
              f"< {PARITY_LIMIT:g}), so their times are not comparable:", file=sys.stderr)
        for name, distance in disagreeing.items():
            print(f"  {name}: {distance:.3e}", file=sys.stderr)
        print(bar, file=sys.stderr)
        sys.exit(1)


def report(ms, notes, reps, held, rounds):
    print(f"one thread, best of {reps} repetitions of 16 faces (Sightline and dlib C++: best of {rounds} alternating "
          f"rounds); load {os.getloadavg()[0]:.2f}")
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
    ort_name = [n for n in ms if n.startswith("ONNX Runtime")]
    if ort_name:
        o = ms[ort_name[0]]
        print(f"; time per face <= 1.5x ONNX Runtime: batch 1 {ms['Sightline'][1][0] / o[1][0]:.2f}x, "
              f"batch 16 {ms['Sightline'][16][0] / o[16][0]:.2f}x (cpu {ms['Sightline'][1][1] / o[1][1]:.2f}x, "
              f"{ms['Sightline'][16][1] / o[16][1]:.2f}x)")
    else:
        print()
    cpp_name = [n for n in ms if " C++" in n]
    if held and cpp_name:
        c = ms[cpp_name[0]]
        ratios = [c[b][1] / ms["Sightline"][b][1] for b in (1, 16)]
        print(f"target, held to {held['isa']}: >= 2x dlib C++ with OpenBLAS {held['core']} (CPU time): batch 1 "
              f"{ratios[0]:.2f}x, batch 16 {ratios[1]:.2f}x ({'met' if min(ratios) >= 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
