// CZlib: zlib's one-shot inflate for the PNG reader, with a prefixed name and a plain status.
#ifndef CZLIB_H
#define CZLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Inflates the zlib stream `src` (`src_len` bytes) into `dst` (capacity `*dst_len`); on return `*dst_len`
/// holds the bytes written. Returns zlib's status: 0 (Z_OK) on success, negative on corrupt data, a short
/// stream (Z_BUF_ERROR, -5) or an output buffer too small.
int CZlib_uncompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t *dst_len);

#ifdef __cplusplus
}
#endif

#endif
