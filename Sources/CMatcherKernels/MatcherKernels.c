// See CMatcherKernels.h. Every SIMD kernel is compiled through a target attribute whatever the package's -march,
// and chosen at run time (CPUID, AT_HWCAP) under the SIGHTLINE_ISA cap, so a baseline or x86-64-v3 build still
// uses AVX-512 VNNI on a CPU that has it, and a kernel never runs on a CPU that lacks its instructions.
#include "CMatcherKernels.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif
#endif

// Σ q_j of the padded query: the stored bytes are code + 128, so Σ q · byte = Σ q · code + 128 · Σ q.
static int32_t slm_query_sum(const int8_t *query, size_t quads) {
    int32_t sum = 0;
    for (size_t j = 0; j < quads * SLM_QUAD; j++) sum += query[j];
    return sum;
}

// ---- Portable ----------------------------------------------------------------------------------------------------

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

// The screening distance of one lane, exactly as every SIMD screen computes it: two float products, a sum and a
// difference, each rounded once (`2 · dot` is exact, so a fused `s − 2 · dot` gives the same bits).
static inline float slm_screen_distance(int32_t dot, float norm, float scale, float query_scale, float query_norm2) {
    const float d = (float)dot * (scale * query_scale);
    return (norm + query_norm2) - 2.0f * d;
}

static size_t slm_screen_portable(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                                  const int8_t *query, const float *norms, const float *scales, float query_scale,
                                  float query_norm2, float bound, uint32_t *slots, float *distances) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const int32_t offset = 128 * slm_query_sum(query, quads);
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        int32_t dots[SLM_BLOCK_WIDTH];
        slm_blocks_portable(blocks + b * block_bytes, quads, 1, query, offset, dots);
        for (int l = 0; l < SLM_BLOCK_WIDTH; l++) {
            const size_t slot = b * SLM_BLOCK_WIDTH + (size_t)l;
            const float a = slm_screen_distance(dots[l], norms[slot], scales[slot], query_scale, query_norm2);
            if (a <= bound) {
                slots[found] = (uint32_t)slot;
                distances[found] = a;
                found++;
            }
        }
    }
    return found;
}

// ---- x86-64 --------------------------------------------------------------------------------------------------------

#if defined(__x86_64__)

#define SLM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define SLM_AVX2 __attribute__((target("avx2")))
#define SLM_AVXVNNI __attribute__((target("avx2,avxvnni")))

// vpdpbusd multiplies unsigned by signed bytes: the stored bytes are the unsigned operand (code + 128) and the
// query codes the signed one, so Σ byte · q = Σ code · q + 128 · Σ q, and the correction is one constant per
// query (`offset`), held in a register: no per-vector array is read. vpdpbusd does not saturate: every stored
// byte and every query code gives the exact sum.

// Dots of one block (64 lanes) into four registers, offset-corrected.
SLM_AVX512 static inline void slm_block_avx512(const uint8_t *x, size_t quads, const int8_t *query, __m512i offset,
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
SLM_AVX512 static void slm_dots_avx512(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                                       int32_t *out) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m512i offset = _mm512_set1_epi32(128 * slm_query_sum(query, quads));
    for (size_t b = 0; b < block_count; b++) {
        __m512i acc[4];
        slm_block_avx512(blocks + b * block_bytes, quads, query, offset, acc);
        for (int part = 0; part < 4; part++) _mm512_storeu_si512(out + b * SLM_BLOCK_WIDTH + 16 * part, acc[part]);
    }
}

SLM_AVX512 static size_t slm_screen_avx512(const uint8_t *blocks, size_t quads, size_t first_block,
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
        slm_block_avx512(blocks + b * block_bytes, quads, query, offset, acc);
        for (int part = 0; part < 4; part++) {
            const size_t first = b * SLM_BLOCK_WIDTH + 16 * (size_t)part;
            const __m512 scaled = _mm512_mul_ps(_mm512_loadu_ps(scales + first), qs);
            const __m512 dot = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[part]), scaled);
            // fma(−2, dot, s) rounds s − 2·dot once; 2·dot is exact, so this is slm_screen_distance's value.
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

// The 256-bit kernels keep one block in eight registers of 8 lanes (lane `l` of register `i` is vector 8i + l).

// AVX-VNNI: the AVX-512 kernel's arithmetic on ymm registers (vpdpbusd, VEX encoded), offset-corrected.
SLM_AVXVNNI static inline void slm_block_avxvnni(const uint8_t *x, size_t quads, const int8_t *query, __m256i offset,
                                                 __m256i acc[8]) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t g = 0; g < quads; g++, x += 256) {
        int32_t word;
        memcpy(&word, query + 4 * g, 4);
        const __m256i q = _mm256_set1_epi32(word);
        a0 = _mm256_dpbusd_avx_epi32(a0, _mm256_loadu_si256((const __m256i *)x), q);
        a1 = _mm256_dpbusd_avx_epi32(a1, _mm256_loadu_si256((const __m256i *)(x + 32)), q);
        a2 = _mm256_dpbusd_avx_epi32(a2, _mm256_loadu_si256((const __m256i *)(x + 64)), q);
        a3 = _mm256_dpbusd_avx_epi32(a3, _mm256_loadu_si256((const __m256i *)(x + 96)), q);
        a4 = _mm256_dpbusd_avx_epi32(a4, _mm256_loadu_si256((const __m256i *)(x + 128)), q);
        a5 = _mm256_dpbusd_avx_epi32(a5, _mm256_loadu_si256((const __m256i *)(x + 160)), q);
        a6 = _mm256_dpbusd_avx_epi32(a6, _mm256_loadu_si256((const __m256i *)(x + 192)), q);
        a7 = _mm256_dpbusd_avx_epi32(a7, _mm256_loadu_si256((const __m256i *)(x + 224)), q);
    }
    acc[0] = _mm256_sub_epi32(a0, offset);
    acc[1] = _mm256_sub_epi32(a1, offset);
    acc[2] = _mm256_sub_epi32(a2, offset);
    acc[3] = _mm256_sub_epi32(a3, offset);
    acc[4] = _mm256_sub_epi32(a4, offset);
    acc[5] = _mm256_sub_epi32(a5, offset);
    acc[6] = _mm256_sub_epi32(a6, offset);
    acc[7] = _mm256_sub_epi32(a7, offset);
}

// AVX2 has no unsigned × signed dot into int32, only vpmaddubsw (u8 × s8, adjacent pairs summed into int16 WITH
// saturation) and vpmaddwd (s16 × s16 pairs into int32). The stored byte times a query code would saturate: two
// products 255 · 127 make 64 770 > 32 767. So the stored byte is turned back into its code c = byte XOR 0x80
// (−128 ... 127) and the unsigned operand is |c| (0 ... 128), the signed one q · sign(c) (vpsignb: −127 ... 127
// for the query's codes in [−127, 127]). Each product is |c| · |q| ≤ 128 · 127 = 16 256 and a pair at most 32 512:
// vpmaddubsw never saturates, for every stored byte. vpmaddwd by 1 widens the pairs into the vector's int32 lane.
// The result is Σ c · q directly (no offset). (With |q| and c · sign(q) instead, one vpabsb per quad would be saved
// but the stored byte 0, code −128, would negate to itself and give a wrong sum.)
SLM_AVX2 static inline __m256i slm_madd_avx2(__m256i acc, __m256i stored, __m256i q, __m256i flip, __m256i ones) {
    const __m256i c = _mm256_xor_si256(stored, flip);
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(c), _mm256_sign_epi8(q, c));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}

SLM_AVX2 static inline void slm_block_avx2(const uint8_t *x, size_t quads, const int8_t *query, __m256i acc[8]) {
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t g = 0; g < quads; g++, x += 256) {
        int32_t word;
        memcpy(&word, query + 4 * g, 4);
        const __m256i q = _mm256_set1_epi32(word);
        a0 = slm_madd_avx2(a0, _mm256_loadu_si256((const __m256i *)x), q, flip, ones);
        a1 = slm_madd_avx2(a1, _mm256_loadu_si256((const __m256i *)(x + 32)), q, flip, ones);
        a2 = slm_madd_avx2(a2, _mm256_loadu_si256((const __m256i *)(x + 64)), q, flip, ones);
        a3 = slm_madd_avx2(a3, _mm256_loadu_si256((const __m256i *)(x + 96)), q, flip, ones);
        a4 = slm_madd_avx2(a4, _mm256_loadu_si256((const __m256i *)(x + 128)), q, flip, ones);
        a5 = slm_madd_avx2(a5, _mm256_loadu_si256((const __m256i *)(x + 160)), q, flip, ones);
        a6 = slm_madd_avx2(a6, _mm256_loadu_si256((const __m256i *)(x + 192)), q, flip, ones);
        a7 = slm_madd_avx2(a7, _mm256_loadu_si256((const __m256i *)(x + 224)), q, flip, ones);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

// Screening distances of one 256-bit block's eight registers, appending the slots under the bound. AVX2 has no
// compress: the compare's sign mask is almost always 0 once the bound is finite, and its set bits are walked.
SLM_AVX2 static inline size_t slm_emit_avx2(const __m256i acc[8], size_t block, const float *norms,
                                            const float *scales, __m256 qs, __m256 qq, __m256 limit,
                                            uint32_t *slots, float *distances) {
    size_t found = 0;
    for (int part = 0; part < 8; part++) {
        const size_t first = block * SLM_BLOCK_WIDTH + 8 * (size_t)part;
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(scales + first), qs);
        const __m256 dot = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[part]), scaled);
        const __m256 a = _mm256_sub_ps(_mm256_add_ps(_mm256_loadu_ps(norms + first), qq), _mm256_add_ps(dot, dot));
        unsigned keep = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, limit, _CMP_LE_OQ));
        if (keep) {
            float lanes[8];
            _mm256_storeu_ps(lanes, a);
            while (keep) {
                const unsigned l = (unsigned)__builtin_ctz(keep);
                slots[found] = (uint32_t)(first + l);
                distances[found] = lanes[l];
                found++;
                keep &= keep - 1;
            }
        }
    }
    return found;
}

SLM_AVXVNNI static void slm_dots_avxvnni(const uint8_t *blocks, size_t quads, size_t block_count,
                                         const int8_t *query, int32_t *out) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m256i offset = _mm256_set1_epi32(128 * slm_query_sum(query, quads));
    for (size_t b = 0; b < block_count; b++) {
        __m256i acc[8];
        slm_block_avxvnni(blocks + b * block_bytes, quads, query, offset, acc);
        for (int part = 0; part < 8; part++) {
            _mm256_storeu_si256((__m256i *)(out + b * SLM_BLOCK_WIDTH + 8 * part), acc[part]);
        }
    }
}

SLM_AVX2 static void slm_dots_avx2(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                                   int32_t *out) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    for (size_t b = 0; b < block_count; b++) {
        __m256i acc[8];
        slm_block_avx2(blocks + b * block_bytes, quads, query, acc);
        for (int part = 0; part < 8; part++) {
            _mm256_storeu_si256((__m256i *)(out + b * SLM_BLOCK_WIDTH + 8 * part), acc[part]);
        }
    }
}

SLM_AVXVNNI static size_t slm_screen_avxvnni(const uint8_t *blocks, size_t quads, size_t first_block,
                                             size_t block_count, const int8_t *query, const float *norms,
                                             const float *scales, float query_scale, float query_norm2,
                                             float bound, uint32_t *slots, float *distances) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m256 qs = _mm256_set1_ps(query_scale), qq = _mm256_set1_ps(query_norm2), limit = _mm256_set1_ps(bound);
    const __m256i offset = _mm256_set1_epi32(128 * slm_query_sum(query, quads));
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        __m256i acc[8];
        slm_block_avxvnni(blocks + b * block_bytes, quads, query, offset, acc);
        found += slm_emit_avx2(acc, b, norms, scales, qs, qq, limit, slots + found, distances + found);
    }
    return found;
}

SLM_AVX2 static size_t slm_screen_avx2(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                                       const int8_t *query, const float *norms, const float *scales,
                                       float query_scale, float query_norm2, float bound, uint32_t *slots,
                                       float *distances) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const __m256 qs = _mm256_set1_ps(query_scale), qq = _mm256_set1_ps(query_norm2), limit = _mm256_set1_ps(bound);
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        __m256i acc[8];
        slm_block_avx2(blocks + b * block_bytes, quads, query, acc);
        found += slm_emit_avx2(acc, b, norms, scales, qs, qq, limit, slots + found, distances + found);
    }
    return found;
}

static unsigned slm_supported_mask(void) {
    __builtin_cpu_init();
    unsigned mask = 1u << SLM_KERNEL_PORTABLE;
    const int avx2 = __builtin_cpu_supports("avx2");
    if (avx2) mask |= 1u << SLM_KERNEL_AVX2;
    if (avx2 && __builtin_cpu_supports("avxvnni")) mask |= 1u << SLM_KERNEL_AVX_VNNI;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni")) {
        mask |= 1u << SLM_KERNEL_AVX512_VNNI;
    }
    return mask;
}

#endif  // __x86_64__

// ---- aarch64 -------------------------------------------------------------------------------------------------------

#if defined(__aarch64__)

// "arch=armv8.2-a+dotprod" is the spelling both gcc and clang accept.
#define SLM_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

// sdot multiplies signed by signed bytes, four per 32-bit lane: exactly one vector's quad per lane. The stored
// byte is turned back into its code (XOR 0x80), so the sum is Σ c · q directly, exact for every byte.
SLM_DOTPROD static inline void slm_block_neon(const uint8_t *x, size_t quads, const int8_t *query,
                                              int32x4_t acc[16]) {
    const uint8x16_t flip = vdupq_n_u8(0x80);
    int32x4_t a[16];
    for (int i = 0; i < 16; i++) a[i] = vdupq_n_s32(0);
    for (size_t g = 0; g < quads; g++, x += 256) {
        int32_t word;
        memcpy(&word, query + 4 * g, 4);
        const int8x16_t q = vreinterpretq_s8_s32(vdupq_n_s32(word));
        for (int i = 0; i < 16; i++) {
            const int8x16_t c = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x + 16 * i), flip));
            a[i] = vdotq_s32(a[i], c, q);
        }
    }
    for (int i = 0; i < 16; i++) acc[i] = a[i];
}

SLM_DOTPROD static void slm_dots_neon(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                                      int32_t *out) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    for (size_t b = 0; b < block_count; b++) {
        int32x4_t acc[16];
        slm_block_neon(blocks + b * block_bytes, quads, query, acc);
        for (int i = 0; i < 16; i++) vst1q_s32(out + b * SLM_BLOCK_WIDTH + 4 * i, acc[i]);
    }
}

SLM_DOTPROD static size_t slm_screen_neon(const uint8_t *blocks, size_t quads, size_t first_block,
                                          size_t block_count, const int8_t *query, const float *norms,
                                          const float *scales, float query_scale, float query_norm2, float bound,
                                          uint32_t *slots, float *distances) {
    const size_t block_bytes = quads * SLM_BLOCK_WIDTH * SLM_QUAD;
    const float32x4_t qs = vdupq_n_f32(query_scale), qq = vdupq_n_f32(query_norm2), limit = vdupq_n_f32(bound);
    size_t found = 0;
    for (size_t b = first_block; b < first_block + block_count; b++) {
        int32x4_t acc[16];
        slm_block_neon(blocks + b * block_bytes, quads, query, acc);
        for (int i = 0; i < 16; i++) {
            const size_t first = b * SLM_BLOCK_WIDTH + 4 * (size_t)i;
            const float32x4_t scaled = vmulq_f32(vld1q_f32(scales + first), qs);
            const float32x4_t dot = vmulq_f32(vcvtq_f32_s32(acc[i]), scaled);
            const float32x4_t a = vsubq_f32(vaddq_f32(vld1q_f32(norms + first), qq), vaddq_f32(dot, dot));
            const uint32x4_t keep = vcleq_f32(a, limit);
            if (vmaxvq_u32(keep)) {
                float lanes[4];
                uint32_t flags[4];
                vst1q_f32(lanes, a);
                vst1q_u32(flags, keep);
                for (int l = 0; l < 4; l++) {
                    if (flags[l]) {
                        slots[found] = (uint32_t)(first + (size_t)l);
                        distances[found] = lanes[l];
                        found++;
                    }
                }
            }
        }
    }
    return found;
}

static unsigned slm_supported_mask(void) {
    unsigned mask = 1u << SLM_KERNEL_PORTABLE;
#if defined(__linux__)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) mask |= 1u << SLM_KERNEL_NEON_DOTPROD;
#elif defined(__ARM_FEATURE_DOTPROD)
    mask |= 1u << SLM_KERNEL_NEON_DOTPROD;  // built for a CPU that has it (e.g. Apple silicon)
#endif
    return mask;
}

#endif  // __aarch64__

#if !defined(__x86_64__) && !defined(__aarch64__)
static unsigned slm_supported_mask(void) { return 1u << SLM_KERNEL_PORTABLE; }
#endif

// ---- Dispatch ------------------------------------------------------------------------------------------------------

static const char *const slm_names[SLM_KERNEL_COUNT] = {"portable", "avx2", "avx-vnni", "avx512-vnni",
                                                        "neon-dotprod"};
static const int slm_ranks[SLM_KERNEL_COUNT] = {0, 1, 2, 3, 1};

const char *slm_kernel_name(int kernel) {
    return kernel >= 0 && kernel < SLM_KERNEL_COUNT ? slm_names[kernel] : "unknown";
}

int slm_kernel_rank(int kernel) { return kernel >= 0 && kernel < SLM_KERNEL_COUNT ? slm_ranks[kernel] : -1; }

int slm_parse_isa_cap(const char *value, int *rank) {
    static const struct {
        const char *name;
        int rank;
    } caps[] = {{"portable", 0}, {"avx2", 1}, {"neon", 1}, {"avx-vnni", 2}, {"avx512", 3}};
    if (!value) return -1;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        if (strcmp(value, caps[i].name) == 0) {
            *rank = caps[i].rank;
            return 0;
        }
    }
    return -1;
}

int slm_select_kernel(unsigned supported_mask, int cap_rank) {
    int best = SLM_KERNEL_PORTABLE;
    for (int k = 0; k < SLM_KERNEL_COUNT; k++) {
        if ((supported_mask >> k & 1u) && slm_ranks[k] <= cap_rank && slm_ranks[k] > slm_ranks[best]) best = k;
    }
    return best;
}

static pthread_once_t slm_once = PTHREAD_ONCE_INIT;
static unsigned slm_mask = 1u;
static int slm_selected = SLM_KERNEL_PORTABLE;
static char slm_warning[192];
static int slm_has_warning = 0;

static void slm_decide(void) {
    slm_mask = slm_supported_mask();
    int cap = 3;
    const char *value = getenv("SIGHTLINE_ISA");
    if (value && value[0] != '\0' && slm_parse_isa_cap(value, &cap) != 0) {
        // Quote at most 32 bytes of the value, control characters replaced, so the message stays one short line.
        char shown[33];
        size_t n = 0;
        for (; value[n] != '\0' && n < 32; n++) shown[n] = (value[n] >= 0x20 && value[n] < 0x7f) ? value[n] : '?';
        shown[n] = '\0';
        snprintf(slm_warning, sizeof slm_warning,
                 "SIGHTLINE_ISA=%s%s is not one of portable, avx2, neon, avx-vnni, avx512; ignored", shown,
                 value[n] != '\0' ? "..." : "");
        slm_has_warning = 1;
        cap = 3;
    }
    slm_selected = slm_select_kernel(slm_mask, cap);
    if (slm_has_warning) {
        fprintf(stderr, "sightline: %s (int8 kernel: %s)\n", slm_warning, slm_names[slm_selected]);
    }
}

int slm_kernel_selected(void) {
    pthread_once(&slm_once, slm_decide);
    return slm_selected;
}

const char *slm_isa_cap_warning(void) {
    pthread_once(&slm_once, slm_decide);
    return slm_has_warning ? slm_warning : NULL;
}

int slm_kernel_supported(int kernel) {
    pthread_once(&slm_once, slm_decide);
    return kernel >= 0 && kernel < SLM_KERNEL_COUNT && (slm_mask >> kernel & 1u);
}

void slm_dots_i8_kernel(int kernel, const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                        int32_t *out) {
    switch (slm_kernel_supported(kernel) ? kernel : SLM_KERNEL_PORTABLE) {
#if defined(__x86_64__)
    case SLM_KERNEL_AVX512_VNNI: slm_dots_avx512(blocks, quads, block_count, query, out); return;
    case SLM_KERNEL_AVX_VNNI: slm_dots_avxvnni(blocks, quads, block_count, query, out); return;
    case SLM_KERNEL_AVX2: slm_dots_avx2(blocks, quads, block_count, query, out); return;
#endif
#if defined(__aarch64__)
    case SLM_KERNEL_NEON_DOTPROD: slm_dots_neon(blocks, quads, block_count, query, out); return;
#endif
    default: slm_dots_i8_portable(blocks, quads, block_count, query, out); return;
    }
}

void slm_dots_i8(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out) {
    slm_dots_i8_kernel(slm_kernel_selected(), blocks, quads, block_count, query, out);
}

size_t slm_screen_i8(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                     const int8_t *query, const float *norms, const float *scales, float query_scale,
                     float query_norm2, float bound, int kernel, uint32_t *slots, float *distances) {
    switch (slm_kernel_supported(kernel) ? kernel : SLM_KERNEL_PORTABLE) {
#if defined(__x86_64__)
    case SLM_KERNEL_AVX512_VNNI:
        return slm_screen_avx512(blocks, quads, first_block, block_count, query, norms, scales, query_scale,
                                 query_norm2, bound, slots, distances);
    case SLM_KERNEL_AVX_VNNI:
        return slm_screen_avxvnni(blocks, quads, first_block, block_count, query, norms, scales, query_scale,
                                  query_norm2, bound, slots, distances);
    case SLM_KERNEL_AVX2:
        return slm_screen_avx2(blocks, quads, first_block, block_count, query, norms, scales, query_scale,
                               query_norm2, bound, slots, distances);
#endif
#if defined(__aarch64__)
    case SLM_KERNEL_NEON_DOTPROD:
        return slm_screen_neon(blocks, quads, first_block, block_count, query, norms, scales, query_scale,
                               query_norm2, bound, slots, distances);
#endif
    default:
        return slm_screen_portable(blocks, quads, first_block, block_count, query, norms, scales, query_scale,
                                   query_norm2, bound, slots, distances);
    }
}

// ---- Memory and query quantisation --------------------------------------------------------------------------------

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
