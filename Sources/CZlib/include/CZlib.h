// CZlib: zlib's inflate for the PNG reader, with prefixed names and plain statuses.
#ifndef CZLIB_H
#define CZLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Inflates the zlib stream `src` into a buffer that grows with the output actually produced (never
/// sized from a header), up to `limit` bytes. On 0 (Z_OK: the stream ended within `limit`) `*out`
/// holds `*out_len` bytes to be released with CZlib_free; otherwise `*out` is NULL and the status is
/// negative: Z_DATA_ERROR (-3) corrupt, Z_MEM_ERROR (-4) no memory, Z_BUF_ERROR (-5) the stream is cut
/// short or inflates past `limit`.
int CZlib_inflate_bounded(const uint8_t *src, size_t src_len, size_t limit, uint8_t **out, size_t *out_len);

void CZlib_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
