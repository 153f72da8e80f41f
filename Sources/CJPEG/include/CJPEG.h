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
    /// libjpeg reported a fatal error (bad header, unsupported format, corrupt data).
    CJPEG_ERROR = 1,
    /// The data ended before the image did (libjpeg's JWRN_JPEG_EOF): a truncated frame.
    CJPEG_TRUNCATED = 2,
    /// CJPEG_decoder_finish was called without a successful CJPEG_decoder_begin.
    CJPEG_MISUSE = 3,
};

CJPEG_Decoder *_Nullable CJPEG_decoder_create(void);
void CJPEG_decoder_destroy(CJPEG_Decoder *_Nullable decoder);

/// Reads the header of `data` and fixes the output: DCT scaling 1/`scale_denom` (1, 2, 4 or 8)
/// and luma-only output when `gray` is non-zero (chroma is then never inverse-transformed).
/// On CJPEG_OK the output size and components (1 or 3) are stored; `data` must stay valid
/// until CJPEG_decoder_finish returns.
int CJPEG_decoder_begin(CJPEG_Decoder *_Nonnull decoder, const uint8_t *_Nonnull data, size_t length,
                        int scale_denom, int gray, int *_Nonnull out_width, int *_Nonnull out_height,
                        int *_Nonnull out_components, int *_Nonnull src_width, int *_Nonnull src_height);

/// Decodes the image set up by CJPEG_decoder_begin into `out` (rows of `stride` bytes).
int CJPEG_decoder_finish(CJPEG_Decoder *_Nonnull decoder, uint8_t *_Nonnull out, size_t stride);

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
