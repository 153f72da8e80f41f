// The start-up CPU check. This target is compiled WITHOUT SIGHTLINE_MARCH's -march (Package.swift gives it only
// CCPUCheck_LEVEL), so it runs on any x86-64 and can refuse cleanly instead of dying on SIGILL somewhere later.
// It asks CPUID (and XGETBV: the OS must save the YMM/ZMM state) for exactly what the level's -march lets the
// compiler use, runs as a priority-101 constructor (the earliest a program may claim), and exits with status 1.
#define _GNU_SOURCE
#include "CCPUCheck.h"

#ifndef CCPUCheck_LEVEL
#define CCPUCheck_LEVEL 0
#endif

#if CCPUCheck_LEVEL >= 2 && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#include <errno.h>  // program_invocation_short_name
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

__attribute__((constructor(101))) static void CCPUCheck_run(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    unsigned c1 = 0, b7 = 0, cx1 = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) c1 = c;
    if (__get_cpuid_max(0, NULL) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) b7 = b;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) cx1 = c;
    int osxsave = (c1 >> 27) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
    int zmm = ymm && (xcr0 & 0xe0) == 0xe0;   // opmask, ZMM0-15 upper halves, ZMM16-31

    // What gcc's and clang's -march=x86-64-vN enable (the psABI levels).
    struct feature { const char *name; int level; int present; } features[] = {
        {"cx16", 2, (c1 >> 13) & 1},
        {"lahf_lm", 2, cx1 & 1},
        {"popcnt", 2, (c1 >> 23) & 1},
        {"sse3", 2, c1 & 1},
        {"ssse3", 2, (c1 >> 9) & 1},
        {"sse4_1", 2, (c1 >> 19) & 1},
        {"sse4_2", 2, (c1 >> 20) & 1},
        {"avx", 3, ((c1 >> 28) & 1) && ymm},
        {"avx2", 3, ((b7 >> 5) & 1) && ymm},
        {"bmi1", 3, (b7 >> 3) & 1},
        {"bmi2", 3, (b7 >> 8) & 1},
        {"f16c", 3, (c1 >> 29) & 1},
        {"fma", 3, (c1 >> 12) & 1},
        {"abm", 3, (cx1 >> 5) & 1},  // LZCNT, as /proc/cpuinfo names it
        {"movbe", 3, (c1 >> 22) & 1},
        {"xsave", 3, osxsave},
        {"avx512f", 4, ((b7 >> 16) & 1) && zmm},
        {"avx512bw", 4, ((b7 >> 30) & 1) && zmm},
        {"avx512cd", 4, ((b7 >> 28) & 1) && zmm},
        {"avx512dq", 4, ((b7 >> 17) & 1) && zmm},
        {"avx512vl", 4, ((b7 >> 31) & 1) && zmm},
    };
    char missing[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        if (features[i].level > CCPUCheck_LEVEL) continue;
        if (features[i].present) continue;
        int n = snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", features[i].name);
        if (n > 0 && (size_t)n < sizeof missing - used) used += (size_t)n;
    }
    if (used == 0) return;
#if CCPUCheck_LEVEL >= 4
    const char *need = "an x86-64-v4 CPU (AVX-512 F/BW/CD/DQ/VL)";
#elif CCPUCheck_LEVEL == 3
    const char *need = "an x86-64-v3 CPU (AVX2, FMA, BMI2)";
#else
    const char *need = "an x86-64-v2 CPU (SSE4.2, POPCNT)";
#endif
    char message[512];
    int n = snprintf(message, sizeof message,
                     "%s: this build needs %s; this CPU lacks %s. Build from source with SIGHTLINE_MARCH=baseline.\n",
                     program_invocation_short_name, need, missing);
    if (n > 0) {
        size_t length = (size_t)n < sizeof message ? (size_t)n : sizeof message - 1;
        ssize_t ignored = write(STDERR_FILENO, message, length);
        (void)ignored;
    }
    _exit(1);
}
#endif

const char *CCPUCheck_required_level(void) {
#if CCPUCheck_LEVEL >= 4 && (defined(__x86_64__) || defined(__i386__))
    return "x86-64-v4";
#elif CCPUCheck_LEVEL == 3 && (defined(__x86_64__) || defined(__i386__))
    return "x86-64-v3";
#elif CCPUCheck_LEVEL == 2 && (defined(__x86_64__) || defined(__i386__))
    return "x86-64-v2";
#else
    return "";
#endif
}
