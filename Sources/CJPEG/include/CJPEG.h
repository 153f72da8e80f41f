// CJPEG: libjpeg-turbo behind functions Swift can call safely — setjmp/longjmp never cross a Swift frame.
#ifndef CJPEG_H
#define CJPEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque decoder: a heap-allocated jpeg_decompress_struct plus its longjmp error manager.
typedef struct CJPEG_Decoder CJPEG_Decoder;

/// Status codes of the shim. Messages come from libjpeg's own tables via CJPEG_decoder_message.
enum {
    CJPEG_OK = 0,
    /// libjpeg reported a fatal error, or a warning that means damaged data (a scan cut short by a
    /// marker, a bad Huffman or arithmetic code, lost restart markers, a bogus progression).
    CJPEG_ERROR = 1,
    /// The data ended before the image did (libjpeg's JWRN_JPEG_EOF): a truncated frame.
    CJPEG_TRUNCATED = 2,
    /// CJPEG_decoder_finish was called without a successful CJPEG_decoder_begin.
    CJPEG_MISUSE = 3,
    /// The header declares more pixels than the caller's cap; nothing was allocated for the image.
    CJPEG_TOO_LARGE = 4,
};

/// Which planes CJPEG_decoder_finish writes.
enum {
    /// Luma only: chroma is never inverse-transformed.
    CJPEG_PLANES_GRAY = 1,
    /// RGB only.
    CJPEG_PLANES_RGB = 2,
    /// Luma and RGB from one decode; the luma plane is byte-identical to CJPEG_PLANES_GRAY's.
    CJPEG_PLANES_GRAY_RGB = 3,
};

CJPEG_Decoder *_Nullable CJPEG_decoder_create(void);
void CJPEG_decoder_destroy(CJPEG_Decoder *_Nullable decoder);

/// Reads the header of `data`, refuses it when width×height exceeds `max_pixels` (CJPEG_TOO_LARGE,
/// before any image memory is allocated) and fixes the output: `planes` (CJPEG_PLANES_*) and the
/// DCT scaling. With `min_width` > 0 the scale is the largest of 1/8, 1/4, 1/2 that keeps the
/// picture at least `min_width` wide (1/1 when none does); otherwise it is 1/`scale_denom`
/// (1, 2, 4 or 8). libjpeg's own memory (progressive coefficient buffers) is bounded from
/// `max_pixels` as well. On CJPEG_OK the output and source sizes are stored; `data` must stay
/// valid until CJPEG_decoder_finish returns. The source size is stored with CJPEG_TOO_LARGE too.
int CJPEG_decoder_begin(CJPEG_Decoder *_Nonnull decoder, const uint8_t *_Nonnull data, size_t length,
                        int scale_denom, int min_width, uint64_t max_pixels, int planes,
                        int *_Nonnull out_width, int *_Nonnull out_height, int *_Nonnull src_width,
                        int *_Nonnull src_height);

/// Decodes the image set up by CJPEG_decoder_begin: luma into `gray` (rows of `gray_stride` bytes)
/// and RGB into `rgb` (rows of `rgb_stride` bytes), each required exactly when the planes asked
/// for include it.
int CJPEG_decoder_finish(CJPEG_Decoder *_Nonnull decoder, uint8_t *_Nullable gray, size_t gray_stride,
                         uint8_t *_Nullable rgb, size_t rgb_stride);

/// The message of the last error or warning, valid until the next call on this decoder.
const char *_Nonnull CJPEG_decoder_message(const CJPEG_Decoder *_Nonnull decoder);

/// Compresses `pixels` (rows packed, 1 or 3 components) at `quality` (1–100) into a buffer
/// that the caller releases with CJPEG_free. Returns CJPEG_OK or CJPEG_ERROR with `message`
/// (at least 200 bytes) filled.
int CJPEG_encode(const uint8_t *_Nonnull pixels, int width, int height, int components, int quality,
                 uint8_t *_Nullable *_Nonnull out, size_t *_Nonnull out_length, char *_Nonnull message);

void CJPEG_free(void *_Nullable pointer);

#ifdef __cplusplus
}
#endif
#endif
