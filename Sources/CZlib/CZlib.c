#include "CZlib.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int CZlib_inflate_bounded(const uint8_t *src, size_t src_len, size_t limit, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) return Z_MEM_ERROR;
    // Start small and double: a header cannot make us allocate more than the data inflates to.
    size_t capacity = limit < 65536 ? limit : 65536;
    uint8_t *buffer = malloc(capacity ? capacity : 1);
    if (!buffer) {
        inflateEnd(&stream);
        return Z_MEM_ERROR;
    }
    size_t produced = 0, consumed = 0;
    uint8_t probe;  // output past `limit` lands here and fails the stream
    int status;
    for (;;) {
        if (produced == capacity && capacity < limit) {
            size_t grown = capacity > limit / 2 ? limit : capacity * 2;
            uint8_t *bigger = realloc(buffer, grown);
            if (!bigger) {
                status = Z_MEM_ERROR;
                break;
            }
            buffer = bigger;
            capacity = grown;
        }
        int at_limit = produced == capacity;
        size_t in_chunk = src_len - consumed > UINT32_MAX ? UINT32_MAX : src_len - consumed;
        size_t out_chunk = at_limit ? 1 : (capacity - produced > UINT32_MAX ? UINT32_MAX : capacity - produced);
        stream.next_in = (Bytef *)(src + consumed);
        stream.avail_in = (uInt)in_chunk;
        stream.next_out = at_limit ? &probe : buffer + produced;
        stream.avail_out = (uInt)out_chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        consumed += in_chunk - stream.avail_in;
        size_t written = out_chunk - stream.avail_out;
        if (at_limit && written > 0) {
            status = Z_BUF_ERROR;  // more output than the limit allows
            break;
        }
        produced += written;
        if (status == Z_STREAM_END) break;
        if (status == Z_OK) continue;
        if (status == Z_BUF_ERROR && stream.avail_out == 0) continue;  // output full: grow or probe
        if (status == Z_NEED_DICT) status = Z_DATA_ERROR;
        break;  // Z_BUF_ERROR with room left: the input is cut short; or a real error
    }
    inflateEnd(&stream);
    if (status != Z_STREAM_END) {
        free(buffer);
        return status == Z_OK ? Z_BUF_ERROR : status;
    }
    *out = buffer;
    *out_len = produced;
    return Z_OK;
}

void CZlib_free(void *pointer) { free(pointer); }
