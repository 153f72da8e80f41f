#include "CZlib.h"

#include <zlib.h>

int CZlib_uncompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t *dst_len) {
    uLongf out = (uLongf)*dst_len;
    int status = uncompress(dst, &out, src, (uLong)src_len);
    *dst_len = (size_t)out;
    return status;
}
