// Matcher's int8 kernels (Sources/CMatcherKernels) against an independent scalar reference and against the
// portable kernel, bit for bit, at every kernel this CPU supports. Built and run by Tools/kernel-test: natively
// (x86-64, compiled for baseline and for x86-64-v3) and cross-compiled for aarch64 under qemu-aarch64, once with
// `-cpu max` (NEON dot product) and once with a CPU without it (the dispatcher must not pick the NEON kernel).
//
//   matcher_kernels_test [--expect-selected NAME] [--expect-supported NAME,...] [--expect-unsupported NAME,...]
//
// Exit status 0 when every check passed, 1 otherwise (each failure is printed).
#include "CMatcherKernels.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static long checks = 0;

#define CHECK(cond, ...)                                                                                          \
    do {                                                                                                          \
        checks++;                                                                                                 \
        if (!(cond)) {                                                                                            \
            if (failures < 40) {                                                                                  \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                            \
                fprintf(stderr, __VA_ARGS__);                                                                     \
                fputc('\n', stderr);                                                                              \
            }                                                                                                     \
            failures++;                                                                                           \
        }                                                                                                         \
    } while (0)

// SplitMix64: the same sequence on every architecture.
static uint64_t rng_state = 0x5eed;
static uint64_t next_random(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Stored bytes laid out as the header says; `stored[slot * d + j]` is the byte of component j of vector slot.
// Padding components and lanes get `padding`.
static uint8_t *layout(const uint8_t *stored, size_t count, size_t d, uint8_t padding, size_t *quads,
                       size_t *blocks) {
    *quads = (d + 3) / 4;
    *blocks = (count + SLM_BLOCK_WIDTH - 1) / SLM_BLOCK_WIDTH;
    const size_t bytes = *blocks * *quads * SLM_BLOCK_WIDTH * 4;
    uint8_t *out = malloc(bytes ? bytes : 1);
    memset(out, padding, bytes);
    for (size_t slot = 0; slot < count; slot++) {
        const size_t b = slot / SLM_BLOCK_WIDTH, l = slot % SLM_BLOCK_WIDTH;
        for (size_t j = 0; j < d; j++) {
            out[((b * *quads + j / 4) * SLM_BLOCK_WIDTH + l) * 4 + j % 4] = stored[slot * d + j];
        }
    }
    return out;
}

// The reference: Σ (byte − 128) · q in 64-bit integers.
static int64_t reference_dot(const uint8_t *row, const int8_t *query, size_t d) {
    int64_t sum = 0;
    for (size_t j = 0; j < d; j++) sum += ((int64_t)row[j] - 128) * (int64_t)query[j];
    return sum;
}

static int kernels[SLM_KERNEL_COUNT];
static int kernel_count = 0;

// Every kernel's dots equal the reference on the real lanes, and the padding lanes (any byte, zero query codes)
// give the same sums as the portable kernel.
static void check_dots(const uint8_t *stored, size_t count, size_t d, const int8_t *query_codes, uint8_t padding,
                       const char *what) {
    size_t quads, blocks;
    uint8_t *bytes = layout(stored, count, d, padding, &quads, &blocks);
    int8_t *query = calloc(quads * 4 + 1, 1);
    memcpy(query, query_codes, d);
    const size_t lanes = blocks * SLM_BLOCK_WIDTH;
    int32_t *portable = malloc((lanes + 1) * 4), *got = malloc((lanes + 1) * 4);
    slm_dots_i8_portable(bytes, quads, blocks, query, portable);
    for (size_t slot = 0; slot < count; slot++) {
        const int64_t expected = reference_dot(stored + slot * d, query, d);
        CHECK(portable[slot] == expected, "portable %s d %zu slot %zu: %" PRId32 " != %" PRId64, what, d, slot,
              portable[slot], expected);
    }
    for (int i = 0; i < kernel_count; i++) {
        for (size_t l = 0; l < lanes; l++) got[l] = 0x7f7f7f7f;
        slm_dots_i8_kernel(kernels[i], bytes, quads, blocks, query, got);
        CHECK(memcmp(got, portable, lanes * 4) == 0, "%s %s d %zu count %zu padding %u: differs from portable",
              slm_kernel_name(kernels[i]), what, d, count, padding);
    }
    free(bytes);
    free(query);
    free(portable);
    free(got);
}

static int8_t random_code(void) { return (int8_t)((int)(next_random() % 255) - 127); }

static void random_tests(void) {
    static const size_t dims[] = {1, 2, 3, 4, 5, 7, 8, 16, 33, 127, 128, 131, 512};
    static const size_t counts[] = {1, 63, 64, 65, 200};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            const size_t d = dims[di], count = counts[ci];
            uint8_t *stored = malloc(count * d);
            int8_t *query = malloc(d);
            // Every stored byte 0 ... 255 (codes −128 ... 127), extremes often.
            for (size_t i = 0; i < count * d; i++) {
                const uint64_t r = next_random();
                stored[i] = r % 7 == 0 ? (r % 2 ? 0 : 255) : (uint8_t)(r >> 8);
            }
            for (size_t j = 0; j < d; j++) query[j] = j % 11 == 0 ? (j % 2 ? -127 : 127) : random_code();
            for (int p = 0; p < 3; p++) check_dots(stored, count, d, query, (uint8_t[]){128, 0, 255}[p], "random");
            free(stored);
            free(query);
        }
    }
}

// The pairs vpmaddubsw adds in int16, at their largest: every stored byte b (code b − 128, −128 ... 127) in all
// components against every query code q in [−127, 127] in all components, so each pair is (c, c) · (q, q); and
// the sign patterns (c, −c) and alternating query signs. d = 8 (two quads), 256 vectors (four blocks).
static void boundary_tests(void) {
    const size_t d = 8, count = 256;
    uint8_t *same = malloc(count * d), *alternating = malloc(count * d);
    for (size_t b = 0; b < count; b++) {
        for (size_t j = 0; j < d; j++) {
            same[b * d + j] = (uint8_t)b;
            alternating[b * d + j] = (uint8_t)(j % 2 ? b : 256 - b);  // codes c and −c (b = 0: −128 twice)
        }
    }
    for (int q = -127; q <= 127; q++) {
        int8_t flat[8], signs[8];
        for (size_t j = 0; j < d; j++) {
            flat[j] = (int8_t)q;
            signs[j] = (int8_t)(j % 2 ? -q : q);
        }
        check_dots(same, count, d, flat, 128, "boundary same/flat");
        check_dots(same, count, d, signs, 128, "boundary same/alternating");
        check_dots(alternating, count, d, flat, 128, "boundary alternating/flat");
        check_dots(alternating, count, d, signs, 255, "boundary alternating/alternating");
    }
    // The largest sums a dimension of 512 reaches: all −128 or all 127 codes against all ±127.
    const size_t wide = 512;
    uint8_t *extreme = malloc(4 * wide);
    int8_t plus[512], minus[512];
    for (size_t j = 0; j < wide; j++) {
        extreme[j] = 0;
        extreme[wide + j] = 255;
        extreme[2 * wide + j] = j % 2 ? 0 : 255;
        extreme[3 * wide + j] = 1;
        plus[j] = 127;
        minus[j] = -127;
    }
    check_dots(extreme, 4, wide, plus, 128, "extreme +127");
    check_dots(extreme, 4, wide, minus, 0, "extreme -127");
    free(same);
    free(alternating);
    free(extreme);
}

// Screens: the same slots and the same float bits from every kernel, over several bounds and block ranges.
static void screen_tests(void) {
    static const size_t dims[] = {5, 128, 131};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const size_t d = dims[di], count = 64 * 5 + 17;
        uint8_t *stored = malloc(count * d);
        int8_t *query_codes = malloc(d);
        for (size_t i = 0; i < count * d; i++) stored[i] = (uint8_t)(next_random() >> 13);
        for (size_t j = 0; j < d; j++) query_codes[j] = random_code();
        size_t quads, blocks;
        uint8_t *bytes = layout(stored, count, d, 128, &quads, &blocks);
        int8_t *query = calloc(quads * 4, 1);
        memcpy(query, query_codes, d);
        const size_t lanes = blocks * SLM_BLOCK_WIDTH;
        float *norms = malloc(lanes * 4), *scales = malloc(lanes * 4);
        for (size_t s = 0; s < lanes; s++) {
            norms[s] = s < count ? 0.5f + (float)(next_random() % 1000) / 1000.0f : 0;
            scales[s] = s < count ? (float)(1 + next_random() % 1000) / 127000.0f : 0;
        }
        const float qscale = 0.9f / 127, qnorm = 0.81f;
        // Each screen of this data keeps about this many lanes for a bound at the 30th percentile.
        float *all = malloc(lanes * 4);
        uint32_t *all_slots = malloc(lanes * 4);
        const size_t n_all = slm_screen_i8(bytes, quads, 0, blocks, query, norms, scales, qscale, qnorm,
                                           1.0f / 0.0f, SLM_KERNEL_PORTABLE, all_slots, all);
        CHECK(n_all == lanes, "an infinite bound keeps every lane (%zu of %zu)", n_all, lanes);
        float sorted_bound = all[(next_random() % count)];
        const float bounds[] = {1.0f / 0.0f, sorted_bound, all[0], -1.0f / 0.0f};
        uint32_t *slots0 = malloc(lanes * 4 + 64), *slots1 = malloc(lanes * 4 + 64);
        float *dist0 = malloc(lanes * 4 + 64), *dist1 = malloc(lanes * 4 + 64);
        for (size_t bi = 0; bi < 4; bi++) {
            for (size_t first = 0; first < blocks; first += 2) {
                const size_t n = blocks - first < 3 ? blocks - first : 3;
                const size_t found0 = slm_screen_i8(bytes, quads, first, n, query, norms, scales, qscale, qnorm,
                                                    bounds[bi], SLM_KERNEL_PORTABLE, slots0, dist0);
                // The portable screen against the scalar formula on the reference dot.
                size_t expected = 0;
                for (size_t s = first * SLM_BLOCK_WIDTH; s < (first + n) * SLM_BLOCK_WIDTH; s++) {
                    const int64_t dot = s < count ? reference_dot(stored + s * d, query, d) : 0;
                    const float x = (float)dot * (scales[s] * qscale);
                    volatile float twice = 2.0f * x;  // no contraction: the separately rounded formula
                    const float a = (norms[s] + qnorm) - twice;
                    if (a <= bounds[bi]) {
                        CHECK(expected < found0 && slots0[expected] == s && memcmp(&dist0[expected], &a, 4) == 0,
                              "portable screen d %zu slot %zu", d, s);
                        expected++;
                    }
                }
                CHECK(expected == found0, "portable screen d %zu kept %zu, expected %zu", d, found0, expected);
                for (int i = 0; i < kernel_count; i++) {
                    const size_t found1 = slm_screen_i8(bytes, quads, first, n, query, norms, scales, qscale, qnorm,
                                                        bounds[bi], kernels[i], slots1, dist1);
                    CHECK(found1 == found0 && memcmp(slots0, slots1, found0 * 4) == 0
                              && memcmp(dist0, dist1, found0 * 4) == 0,
                          "%s screen d %zu bound %zu blocks %zu+%zu: %zu vs %zu kept", slm_kernel_name(kernels[i]),
                          d, bi, first, n, found1, found0);
                }
            }
        }
        free(stored), free(query_codes), free(bytes), free(query), free(norms), free(scales), free(all);
        free(all_slots), free(slots0), free(slots1), free(dist0), free(dist1);
    }
}

static void dispatch_tests(void) {
    int rank = -7;
    CHECK(slm_parse_isa_cap("portable", &rank) == 0 && rank == 0, "portable");
    CHECK(slm_parse_isa_cap("avx2", &rank) == 0 && rank == 1, "avx2");
    CHECK(slm_parse_isa_cap("neon", &rank) == 0 && rank == 1, "neon");
    CHECK(slm_parse_isa_cap("avx-vnni", &rank) == 0 && rank == 2, "avx-vnni");
    CHECK(slm_parse_isa_cap("avx512", &rank) == 0 && rank == 3, "avx512");
    rank = -7;
    CHECK(slm_parse_isa_cap("AVX2", &rank) == -1 && rank == -7, "upper case is refused");
    CHECK(slm_parse_isa_cap("avx2 ", &rank) == -1, "trailing space is refused");
    CHECK(slm_parse_isa_cap("", &rank) == -1, "empty is refused by the parser");
    CHECK(slm_parse_isa_cap(NULL, &rank) == -1, "NULL is refused");
    const unsigned all_x86 = 1u << SLM_KERNEL_PORTABLE | 1u << SLM_KERNEL_AVX2 | 1u << SLM_KERNEL_AVX_VNNI
        | 1u << SLM_KERNEL_AVX512_VNNI;
    CHECK(slm_select_kernel(all_x86, 3) == SLM_KERNEL_AVX512_VNNI, "best");
    CHECK(slm_select_kernel(all_x86, 2) == SLM_KERNEL_AVX_VNNI, "cap avx-vnni");
    CHECK(slm_select_kernel(all_x86, 1) == SLM_KERNEL_AVX2, "cap avx2");
    CHECK(slm_select_kernel(all_x86, 0) == SLM_KERNEL_PORTABLE, "cap portable");
    CHECK(slm_select_kernel(all_x86 & ~(1u << SLM_KERNEL_AVX_VNNI), 2) == SLM_KERNEL_AVX2, "no AVX-VNNI");
    CHECK(slm_select_kernel(1u << SLM_KERNEL_PORTABLE | 1u << SLM_KERNEL_AVX2, 3) == SLM_KERNEL_AVX2, "AVX2 only");
    CHECK(slm_select_kernel(1u, 3) == SLM_KERNEL_PORTABLE, "nothing but portable");
    const unsigned arm = 1u << SLM_KERNEL_PORTABLE | 1u << SLM_KERNEL_NEON_DOTPROD;
    CHECK(slm_select_kernel(arm, 3) == SLM_KERNEL_NEON_DOTPROD, "neon under no cap");
    CHECK(slm_select_kernel(arm, 1) == SLM_KERNEL_NEON_DOTPROD, "neon under cap neon");
    CHECK(slm_select_kernel(arm, 0) == SLM_KERNEL_PORTABLE, "neon under cap portable");
    CHECK(slm_kernel_supported(SLM_KERNEL_PORTABLE) == 1, "portable always runs");
    CHECK(slm_kernel_supported(-1) == 0 && slm_kernel_supported(SLM_KERNEL_COUNT) == 0, "unknown kernels");
#if defined(__x86_64__)
    CHECK(slm_kernel_supported(SLM_KERNEL_NEON_DOTPROD) == 0, "no NEON on x86-64");
#elif defined(__aarch64__)
    CHECK(!slm_kernel_supported(SLM_KERNEL_AVX2) && !slm_kernel_supported(SLM_KERNEL_AVX_VNNI)
              && !slm_kernel_supported(SLM_KERNEL_AVX512_VNNI),
          "no x86 kernels on aarch64");
#endif
    CHECK(slm_kernel_supported(slm_kernel_selected()), "the selected kernel runs here");
}

static int find_kernel(const char *name) {
    for (int k = 0; k < SLM_KERNEL_COUNT; k++) {
        if (strcmp(slm_kernel_name(k), name) == 0) return k;
    }
    fprintf(stderr, "unknown kernel name %s\n", name);
    exit(2);
}

// Checks `--expect-supported a,b` / `--expect-unsupported a,b`.
static void expect_list(const char *list, int supported) {
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *name = strtok(copy, ","); name; name = strtok(NULL, ",")) {
        const int k = find_kernel(name);
        CHECK(slm_kernel_supported(k) == supported, "%s should be %s", name, supported ? "supported" : "unsupported");
    }
}

int main(int argc, char **argv) {
    for (int k = 0; k < SLM_KERNEL_COUNT; k++) {
        if (k != SLM_KERNEL_PORTABLE && slm_kernel_supported(k)) kernels[kernel_count++] = k;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--expect-selected") == 0) {
            const int k = find_kernel(argv[i + 1]);
            CHECK(slm_kernel_selected() == k, "selected %s, expected %s", slm_kernel_name(slm_kernel_selected()),
                  argv[i + 1]);
        } else if (strcmp(argv[i], "--expect-supported") == 0) {
            expect_list(argv[i + 1], 1);
        } else if (strcmp(argv[i], "--expect-unsupported") == 0) {
            expect_list(argv[i + 1], 0);
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    dispatch_tests();
    random_tests();
    boundary_tests();
    screen_tests();
    printf("kernels tested against portable:");
    for (int i = 0; i < kernel_count; i++) printf(" %s", slm_kernel_name(kernels[i]));
    if (kernel_count == 0) printf(" (none: this CPU runs only the portable kernel)");
    printf("; selected: %s; %ld checks, %d failed\n", slm_kernel_name(slm_kernel_selected()), checks, failures);
    return failures == 0 ? 0 : 1;
}
