// See CMatcherKernels.h. The VNNI kernel is compiled for AVX-512 through a target attribute whatever the
// package's -march, and chosen at run time, so a baseline build still uses it on a CPU that has it.
#include "CMatcherKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Σ q_j of the padded query: the stored bytes are code + 128, so Σ q · byte = Σ q · code + 128 · Σ q.
static int32_t slm_query_sum(const int8_t *query, size_t quads) {
    int32_t sum = 0;
    for (size_t j = 0; j < quads * SLM_QUAD; j++) sum += query[j];
    return sum;
}

// The portable sums with the query's offset `128 · Σ q` given.
static void slm_blocks_portable(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                                int32_t offset, int32_t *out) {
    for (size_t b = 0; b < block_count; b++) {
        int32_t acc[SLM_BLOCK_WIDTH];
        memset(acc, 0, sizeof acc);
        const uint8_t *x = blocks + b * quads * SLM_BLOCK_WIDTH * SLM_QUAD;
        for (size_t g = 0; g < quads; g++, x += SLM_BLOCK_WIDTH * SLM_QUAD) {
            const int32_t q0 = query[4 * g], q1 = query[4 * g + 1], q2 = query[4 * g + 2], q3 = query[4 * g + 3];
            // One 32-bit word per lane (contiguous loads a compiler vectorises); its unsigned bytes by shifts.
            for (int l = 0; l < SLM_BLOCK_WIDTH; l++) {
                uint32_t w;
                memcpy(&w, x + 4 * l, 4);
                acc[l] += q0 * (int32_t)(w & 0xff) + q1 * (int32_t)((w >> 8) & 0xff)
                    + q2 * (int32_t)((w >> 16) & 0xff) + q3 * (int32_t)(w >> 24);
            }
        }
        for (int l = 0; l < SLM_BLOCK_WIDTH; l++) out[b * SLM_BLOCK_WIDTH + (size_t)l] = acc[l] - offset;
    }
}

void slm_dots_i8_portable(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                          int32_t *out) {
    slm_blocks_portable(blocks, quads, block_count, query, 128 * slm_query_sum(query, quads), out);
}

#define SLM_HUGE ((size_t)2 << 20)

void *slm_allocate(size_t bytes) {
    void *memory = NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= SLM_HUGE) {
        // Fresh pages from mmap (malloc may hand back heap pages already touched, which stay small): map 2 MiB
        // more, keep the 2 MiB-aligned part, advise huge pages before the first touch.
        const size_t rounded = (bytes + SLM_HUGE - 1) / SLM_HUGE * SLM_HUGE;
        char *raw = mmap(NULL, rounded + SLM_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return NULL;
        char *aligned = (char *)(((uintptr_t)raw + SLM_HUGE - 1) & ~(uintptr_t)(SLM_HUGE - 1));
        if (aligned > raw) munmap(raw, (size_t)(aligned - raw));
        const size_t tail = (size_t)(raw + rounded + SLM_HUGE - (aligned + rounded));
        if (tail > 0) munmap(aligned + rounded, tail);
        (void)madvise(aligned, rounded, MADV_HUGEPAGE);  // advice only: refused, it changes nothing but speed
        return aligned;
    }
#endif
    return posix_memalign(&memory, 64, bytes ? bytes : 64) == 0 ? memory : NULL;
}

void slm_free(void *memory, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (memory && bytes >= SLM_HUGE) {
        munmap(memory, (bytes + SLM_HUGE - 1) / SLM_HUGE * SLM_HUGE);
        return;
    }
#endif
    (void)bytes;
    free(memory);
}

double slm_quantize_i8(const float *q, size_t d, size_t padded, int8_t *codes, float *scale) {
    float max_abs = 0;
    for (size_t j = 0; j < d; j++) {
        const float a = q[j] < 0 ? -q[j] : q[j];
        max_abs = a > max_abs ? a : max_abs;
    }
    float s = max_abs / 127, inverse = 1 / s;
    if (!(s >= 1.17549435e-38f) || !(inverse <= 3.40282347e+38f)) {
        s = 0;
        inverse = 0;
    }
    double error = 0;
    for (size_t j = 0; j < d; j++) {
        float c = __builtin_rintf(q[j] * inverse);
        c = c < -127 ? -127 : (c > 127 ? 127 : c);
        codes[j] = (int8_t)c;
        const double e = (double)q[j] - (double)s * (double)c;
        error += e * e;
    }
    for (size_t j = d; j < padded; j++) codes[j] = 0;
    *scale = s;
    return error;
}

#if defined(__x86_64__)

int slm_has_avx512_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}

#define SLM_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

// vpdpbusd multiplies unsigned by signed bytes: the stored bytes are the unsigned operand (code + 128) and the
// query codes the signed one, so Σ byte · q = Σ code · q + 128 · Σ q, and the correction is one constant per
// query (`offset`), held in a register: no per-vector array is read.

// Dots of one block (64 lanes) into four registers, offset-corrected.
SLM_VNNI static inline void slm_block_vnni(const uint8_t *x, size_t quads, const int8_t *query, __m512i offset,
                                           __m512i acc[4]) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t g = 0; g < quads; g++, x += 256) {
        int32_t word;
        memcpy(&word, query + 4 * g, 4);
        const __m512i q = _mm512_set1_epi32(word);
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(x), q);
        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(x + 64), q);
        a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(x + 128), q);
        a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(x + 192), q);
    }
    acc[0] = _mm512_sub_epi32(a0, offset);
    acc[1] = _mm512_sub_epi32(a1, offset);
    acc[2] = _mm512_sub_epi32(a2, offset);
    acc[3] = _mm512_sub_epi32(a3, offset);
}

// One block at a time: interleaving two blocks (eight chains) measured no faster in cache, and two streams were
// slower at 10⁶ vectors.
SLM_VNNI void slm_dots_i8_vnni(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                               int32_t *out) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m512i offset = _mm512_set1_epi32(128 * slm_query_sum(query, quads));
    for (size_t b = 0; b < block_count; b++) {
        __m512i acc[4];
        slm_block_vnni(blocks + b * block_bytes, quads, query, offset, acc);
        for (int part = 0; part < 4; part++) _mm512_storeu_si512(out + b * SLM_BLOCK_WIDTH + 16 * part, acc[part]);
    }
}

SLM_VNNI static size_t slm_screen_i8_vnni(const uint8_t *blocks, size_t quads, size_t first_block,
                                          size_t block_count, const int8_t *query, const float *norms,
                                          const float *scales, float query_scale, float query_norm2, float bound,
                                          uint32_t *slots, float *distances) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m512 qs = _mm512_set1_ps(query_scale), qq = _mm512_set1_ps(query_norm2);
    const __m512 minus2 = _mm512_set1_ps(-2.0f), limit = _mm512_set1_ps(bound);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i offset = _mm512_set1_epi32(128 * slm_query_sum(query, quads));
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        __m512i acc[4];
        slm_block_vnni(blocks + b * block_bytes, quads, query, offset, acc);
        for (int part = 0; part < 4; part++) {
            const size_t first = b * SLM_BLOCK_WIDTH + 16 * (size_t)part;
            const __m512 scaled = _mm512_mul_ps(_mm512_loadu_ps(scales + first), qs);
            const __m512 dot = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[part]), scaled);
            const __m512 a = _mm512_fmadd_ps(minus2, dot, _mm512_add_ps(_mm512_loadu_ps(norms + first), qq));
            const __mmask16 keep = _mm512_cmp_ps_mask(a, limit, _CMP_LE_OQ);
            if (keep) {
                // Compress in registers and store 16 lanes (the output has room for every lane processed so far):
                // a masked compress-store to memory is microcoded and slow on Zen 4.
                const __m512i ids = _mm512_add_epi32(lane, _mm512_set1_epi32((int32_t)first));
                _mm512_storeu_si512(slots + found, _mm512_maskz_compress_epi32(keep, ids));
                _mm512_storeu_ps(distances + found, _mm512_maskz_compress_ps(keep, a));
                found += (size_t)__builtin_popcount(keep);
            }
        }
    }
    return found;
}

#else

int slm_has_avx512_vnni(void) { return 0; }

void slm_dots_i8_vnni(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out) {
    slm_dots_i8_portable(blocks, quads, block_count, query, out);
}

#endif

static int slm_vnni_level(void) {
    static int level = -1;  // -1 unknown, 0 portable, 1 VNNI; every thread computes the same value
    int known = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (known < 0) {
        known = slm_has_avx512_vnni();
        __atomic_store_n(&level, known, __ATOMIC_RELAXED);
    }
    return known;
}

size_t slm_screen_i8(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                     const int8_t *query, const float *norms, const float *scales, float query_scale,
                     float query_norm2, float bound, int allow_vnni, uint32_t *slots, float *distances) {
#if defined(__x86_64__)
    if (allow_vnni && slm_vnni_level()) {
        return slm_screen_i8_vnni(blocks, quads, first_block, block_count, query, norms, scales,
                                  query_scale, query_norm2, bound, slots, distances);
    }
#else
    (void)allow_vnni;
#endif
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const int32_t offset = 128 * slm_query_sum(query, quads);
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        int32_t dots[SLM_BLOCK_WIDTH];
        slm_blocks_portable(blocks + b * block_bytes, quads, 1, query, offset, dots);
        for (int l = 0; l < SLM_BLOCK_WIDTH; l++) {
            const size_t slot = b * SLM_BLOCK_WIDTH + (size_t)l;
            const float dot = (float)dots[l] * (scales[slot] * query_scale);
            const float a = (norms[slot] + query_norm2) - 2.0f * dot;
            if (a <= bound) {
                slots[found] = (uint32_t)slot;
                distances[found] = a;
                found++;
            }
        }
    }
    return found;
}

void slm_dots_i8(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out) {
    if (slm_vnni_level()) {
        slm_dots_i8_vnni(blocks, quads, block_count, query, out);
    } else {
        slm_dots_i8_portable(blocks, quads, block_count, query, out);
    }
}
