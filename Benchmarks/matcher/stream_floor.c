// The streaming floor of an exact float32 scan: the CPU time of one core reading N x D floats once, doing nothing
// but a sum over them (no subtraction, no FMA, no top-k). Benchmarks/matcher/run.py builds it with the level's
// -march and prints it beside the f32 rows: a scan cannot take less time than reading its data, so when Sightline
// and FAISS both sit on this floor the ratio between them is the memory system's, not the kernels'.
//
//   stream_floor N D SECONDS   ->   {"n":N,"dim":D,"bytes":B,"passes":P,"min_us":…,"median_us":…}
//
// The buffer is 2 MiB aligned and advised onto huge pages, as Sightline's blocks are (slm_allocate).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef float v8 __attribute__((vector_size(32)));

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Eight independent sums over 256 bytes per step, like the scan kernels' eight 256-bit accumulators.
__attribute__((noinline)) static float pass(const v8 *x, size_t vectors) {
    v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    for (size_t i = 0; i + 8 <= vectors; i += 8) {
        a0 += x[i], a1 += x[i + 1], a2 += x[i + 2], a3 += x[i + 3];
        a4 += x[i + 4], a5 += x[i + 5], a6 += x[i + 6], a7 += x[i + 7];
    }
    v8 r = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    return r[0] + r[7];
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: stream_floor N D SECONDS\n");
        return 2;
    }
    long n = atol(argv[1]), d = atol(argv[2]);
    double seconds = atof(argv[3]);
    if (n < 1 || d < 1 || n > 100000000L || d > 4096 || !(seconds > 0 && seconds <= 60)) {
        fprintf(stderr, "stream_floor: N in 1...1e8, D in 1...4096, SECONDS in (0, 60]\n");
        return 2;
    }
    size_t huge = (size_t)2 << 20;
    size_t floats = ((size_t)n * (size_t)d + 63) / 64 * 64;   // whole 256-byte steps
    size_t bytes = floats * sizeof(float), size = (bytes + huge - 1) / huge * huge;
    v8 *x = aligned_alloc(huge, size);
    if (!x) {
        fprintf(stderr, "stream_floor: cannot allocate %zu bytes\n", size);
        return 1;
    }
    madvise(x, size, MADV_HUGEPAGE);
    float *f = (float *)x;
    for (size_t i = 0; i < floats; i++) f[i] = (float)(i % 1013) * 0.001f;
    enum { most = 100000 };
    static double samples[most];
    volatile float sink = pass(x, floats / 8);
    int passes = 0;
    double start = thread_seconds();
    while (passes < most && (passes < 5 || thread_seconds() - start < seconds)) {
        double t0 = thread_seconds();
        sink = sink + pass(x, floats / 8);
        samples[passes++] = thread_seconds() - t0;
    }
    qsort(samples, (size_t)passes, sizeof samples[0], by_value);
    printf("{\"n\":%ld,\"dim\":%ld,\"bytes\":%zu,\"passes\":%d,\"min_us\":%.2f,\"median_us\":%.2f}\n", n, d, bytes,
           passes, samples[0] * 1e6, samples[passes / 2] * 1e6);
    free(x);
    return 0;
}
