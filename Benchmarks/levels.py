"""The SIMD level a benchmark run holds every side to, and the widest SIMD a shared object's code contains.

Shared by Benchmarks/embed/run.py and Benchmarks/faces/run.py (issue 19). `SIGHTLINE_ISA` names the level
(`make bench SIGHTLINE_MARCH=x86-64-v3 SIGHTLINE_ISA=avx2`): Sightline's float kernels are Swift SIMD code whose
width `SIGHTLINE_MARCH` fixes at build time, so a run refuses a binary built for another width; a C++ peer is
compiled with the matching `-march` and OpenBLAS is held to the matching core kernels (`OPENBLAS_CORETYPE`),
checked through `openblas_get_corename`. Peers that have no switch (dlib-bin's wheel, ONNX Runtime) are named
with the level they run at.
"""
import os
import re
import subprocess
import sys

# SIGHTLINE_ISA -> (Sightline's float-kernel target, first word of KernelTarget.description; the -march a C++
# peer is built with; the OpenBLAS core kernels).
HELD = {
    "avx2": ("avx2", "x86-64-v3", "Haswell"),
    "avx-vnni": ("avx2", "x86-64-v3", "Haswell"),
    "avx512": ("avx512", "native", "SkylakeX"),
}


def held_level(script):
    """The level SIGHTLINE_ISA holds this run to, or None (unset: every side at its best)."""
    isa = os.environ.get("SIGHTLINE_ISA", "")
    if not isa:
        return None
    if isa not in HELD:
        sys.exit(f"{script}: SIGHTLINE_ISA={isa!r} is not a level this benchmark can hold its peers to "
                 f"({', '.join(HELD)}, or unset)")
    target, march, core = HELD[isa]
    return {"isa": isa, "target": target, "march": march, "core": core}


def check_sightline_target(script, held, target):
    """Exits when Sightline's float kernels were built for another width than the held level."""
    if held and target.split()[:1] != [held["target"]]:
        sys.exit(f"{script}: SIGHTLINE_ISA={held['isa']} but sightline-bench's float kernels are '{target}': "
                 f"build it with SIGHTLINE_MARCH={held['march']} (make bench SIGHTLINE_MARCH={held['march']} "
                 f"SIGHTLINE_ISA={held['isa']})")


def widest_simd(path):
    """The widest SIMD in a shared object's machine code, from objdump: AVX-512 (zmm, mask or upper-16 vector
    registers), AVX2 (256-bit
    integer instructions), AVX (256-bit float only) or SSE, with '+FMA' when fused multiply-adds appear. What the
    code contains, so an upper bound on what it runs."""
    try:
        dump = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", path], stdout=subprocess.PIPE, text=True,
                                stderr=subprocess.DEVNULL)
    except OSError:
        return "unknown (objdump missing: apt-get install binutils)"
    zmm = avx2 = ymm = fma = 0
    avx1_vp = {"vperm2f128", "vpermilps", "vpermilpd"}
    mnemonic = re.compile(r"^\s*[0-9a-f]+:\s+(v[a-z0-9]+)\s")
    evex_only = re.compile(r"%[xy]mm(1[6-9]|2[0-9]|3[01])\b")   # registers 16-31 exist only with AVX-512
    for line in dump.stdout:
        m = mnemonic.match(line)
        if not m:
            continue
        op = m.group(1)
        if "%zmm" in line or "{%k" in line or evex_only.search(line):
            zmm += 1
        if op.startswith(("vfmadd", "vfmsub", "vfnmadd", "vfnmsub")):
            fma += 1
        if "%ymm" in line:
            ymm += 1
            if op.startswith("vp") and op not in avx1_vp or op in ("vinserti128", "vextracti128", "vbroadcasti128"):
                avx2 += 1
    dump.wait()
    level = "AVX-512" if zmm else "AVX2" if avx2 else "AVX" if ymm else "SSE"
    return f"{level}{'+FMA' if fma else ', no FMA'} (objdump: {zmm} AVX-512, {avx2} AVX2 256-bit integer, {ymm} ymm, " \
           f"{fma} FMA instructions)"
