// Integer dot-product kernels for Matcher's int8 screen, with runtime dispatch: AVX-512 VNNI (`vpdpbusd`, 64
// multiply-adds per instruction) where the CPU has it, a portable C loop everywhere else. Every entry point
// returns the same exact int32 results, so callers never depend on which one ran. Symbols are prefixed `slm_`.
#ifndef CMATCHERKERNELS_H
#define CMATCHERKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Vectors per block (Matcher's `blockWidth`) and components per quad.
#define SLM_BLOCK_WIDTH 64
#define SLM_QUAD 4

/// Whether `slm_dots_i8_vnni` may run here (x86-64 with AVX-512 F, BW and VNNI). 0 elsewhere.
int slm_has_avx512_vnni(void);

/// Exact dot products of one query with `block_count` blocks of int8 codes stored offset by 128 (quad layout).
///
/// Layout: block `b` holds 64 vectors; the stored bytes of components `4g ..< 4g + 4` of the vector in lane `l`
/// are the 4 bytes at `blocks + ((b * quads + g) * 64 + l) * 4`, each `code + 128` (i.e. `code XOR 0x80`, so a
/// code of 0 is stored as 128). `query` holds `quads * 4` signed codes. Codes must lie in [-127, 127]; components
/// past the dimension are 0 in the query (any byte in the vectors). `out` receives `block_count * 64` sums
/// `Σ_j query[j] · code[j]`, exact in int32 for `quads * 4 <= 65536`.
void slm_dots_i8(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out);

/// The portable kernel (any CPU): same contract as `slm_dots_i8`.
void slm_dots_i8_portable(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                          int32_t *out);

/// The AVX-512 VNNI kernel: same contract; call only when `slm_has_avx512_vnni()` (on other
/// architectures it forwards to the portable kernel).
void slm_dots_i8_vnni(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out);

/// The int8 screen of one query over blocks `first_block ..< first_block + block_count`: for each lane `l`
/// (slot `64 · block + l`), the approximate squared distance
/// `a = (norms[slot] + query_norm2) - 2 · (float(dot) · (scales[slot] · query_scale))` (`dot` as in
/// `slm_dots_i8`), and appends every slot with `a <= bound` to `slots` / `distances` (room for
/// `block_count * 64`) in slot order. Returns how many were appended. `blocks` points at block 0; `norms` and
/// `scales` at slot 0. `allow_vnni` 0 forces the portable kernel (tests); otherwise the CPU decides.
size_t slm_screen_i8(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                     const int8_t *query, const float *norms, const float *scales, float query_scale,
                     float query_norm2, float bound, int allow_vnni, uint32_t *slots, float *distances);

/// Memory for a scanned array: 64-byte aligned; on Linux, for 2 MiB or more, fresh zeroed pages (mmap), 2 MiB
/// aligned, with transparent huge pages requested (`madvise`), so a scan of hundreds of MB is not slowed by TLB
/// misses. Otherwise uninitialised. NULL when out of memory. Release with `slm_free` and the same `bytes`.
void *slm_allocate(size_t bytes);

/// Releases memory from `slm_allocate(bytes)` (NULL is allowed).
void slm_free(void *memory, size_t bytes);

/// Quantises a query for the int8 screen: `*scale = max|q_j| / 127` (0 for a zero or subnormal query, whose
/// codes are all 0), `codes[j] = round(q_j / scale)` clamped to [-127, 127] for `j < d`, 0 for `d <= j < padded`.
/// Returns `Σ_j (q_j − scale · codes[j])²`, accumulated in double.
double slm_quantize_i8(const float *q, size_t d, size_t padded, int8_t *codes, float *scale);

#endif
