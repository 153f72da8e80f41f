// Integer dot-product kernels for Matcher's int8 screen, with run-time dispatch: AVX-512 VNNI (`vpdpbusd` on zmm),
// AVX-VNNI (`vpdpbusd` on ymm), AVX2 (`vpmaddubsw`/`vpmaddwd`), NEON with the dot-product extension (`sdot`), and a
// portable C loop everywhere else. Every kernel returns the same exact int32 results (see the contract of
// `slm_dots_i8`), so callers never depend on which one ran. Symbols are prefixed `slm_`.
#ifndef CMATCHERKERNELS_H
#define CMATCHERKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Vectors per block (Matcher's `blockWidth`) and components per quad.
#define SLM_BLOCK_WIDTH 64
#define SLM_QUAD 4

/// The int8 kernels, by number. Each is compiled on its architecture whatever `-march` says (target attributes)
/// and run only where `slm_kernel_supported` says the CPU has its instructions.
#define SLM_KERNEL_PORTABLE 0      // any CPU
#define SLM_KERNEL_AVX2 1          // x86-64: AVX2 (vpmaddubsw, vpmaddwd)
#define SLM_KERNEL_AVX_VNNI 2      // x86-64: AVX2 + AVX-VNNI (vpdpbusd on 256-bit registers; Alder Lake, N100)
#define SLM_KERNEL_AVX512_VNNI 3   // x86-64: AVX-512 F, BW and VNNI (vpdpbusd on 512-bit registers)
#define SLM_KERNEL_NEON_DOTPROD 4  // aarch64: NEON with the dot-product extension (sdot; HWCAP_ASIMDDP)
#define SLM_KERNEL_COUNT 5

/// 1 when this CPU (CPUID on x86-64, AT_HWCAP on aarch64 Linux) can run `kernel`, else 0 (also for unknown numbers
/// and for the other architecture's kernels).
int slm_kernel_supported(int kernel);

/// The kernel's name: "portable", "avx2", "avx-vnni", "avx512-vnni", "neon-dotprod" ("unknown" otherwise).
const char *slm_kernel_name(int kernel);

/// The rank a `SIGHTLINE_ISA` cap compares with: portable 0, avx2 and neon-dotprod 1, avx-vnni 2, avx512-vnni 3.
int slm_kernel_rank(int kernel);

/// Parses a `SIGHTLINE_ISA` value into the highest rank it allows: "portable" 0, "avx2" and "neon" 1, "avx-vnni" 2,
/// "avx512" 3 (exact, lower case). Returns 0 and sets `*rank`, or -1 (and leaves `*rank`) for any other text.
int slm_parse_isa_cap(const char *value, int *rank);

/// The best kernel in `supported_mask` (bit `k` set: kernel `k` may run) whose rank is at most `cap_rank`;
/// the portable kernel when none is. Pure: the dispatcher and its tests use it.
int slm_select_kernel(unsigned supported_mask, int cap_rank);

/// The kernel the dispatcher runs in this process: the best this CPU supports under the `SIGHTLINE_ISA` cap, read
/// once at first use. An unset or empty variable caps nothing; a value `slm_parse_isa_cap` refuses is ignored (no
/// cap) and `slm_isa_cap_warning` says so.
int slm_kernel_selected(void);

/// NULL, or (after `slm_kernel_selected` has run) the message about a `SIGHTLINE_ISA` value that was ignored. The
/// message is also written once to standard error.
const char *slm_isa_cap_warning(void);

/// Exact dot products of one query with `block_count` blocks of int8 codes stored offset by 128 (quad layout),
/// through the dispatcher's kernel.
///
/// Layout: block `b` holds 64 vectors; the stored bytes of components `4g ..< 4g + 4` of the vector in lane `l`
/// are the 4 bytes at `blocks + ((b * quads + g) * 64 + l) * 4`, each `code + 128` (i.e. `code XOR 0x80`, so a
/// code of 0 is stored as 128). `query` holds `quads * 4` signed codes in [-127, 127]; components past the
/// dimension are 0 in the query (any byte in the vectors). Every stored byte 0...255 (code -128...127) is allowed.
/// `out` receives `block_count * 64` sums `Σ_j query[j] · code[j]`, exact in int32 for `quads * 4 <= 65536`.
void slm_dots_i8(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query, int32_t *out);

/// The portable kernel (any CPU): same contract as `slm_dots_i8`.
void slm_dots_i8_portable(const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                          int32_t *out);

/// `slm_dots_i8` through `kernel`; a kernel this CPU cannot run (see `slm_kernel_supported`) falls back to the
/// portable one, so no caller can reach an illegal instruction.
void slm_dots_i8_kernel(int kernel, const uint8_t *blocks, size_t quads, size_t block_count, const int8_t *query,
                        int32_t *out);

/// The int8 screen of one query over blocks `first_block ..< first_block + block_count`: for each lane `l`
/// (slot `64 · block + l`), the approximate squared distance
/// `a = (norms[slot] + query_norm2) - 2 · (float(dot) · (scales[slot] · query_scale))` (`dot` as in
/// `slm_dots_i8`), and appends every slot with `a <= bound` to `slots` / `distances` (room for
/// `block_count * 64`) in slot order. Returns how many were appended. `blocks` points at block 0; `norms` and
/// `scales` at slot 0. `kernel` as in `slm_dots_i8_kernel` (unsupported: portable); every kernel appends the same
/// slots with the same float bits.
size_t slm_screen_i8(const uint8_t *blocks, size_t quads, size_t first_block, size_t block_count,
                     const int8_t *query, const float *norms, const float *scales, float query_scale,
                     float query_norm2, float bound, int kernel, uint32_t *slots, float *distances);

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
