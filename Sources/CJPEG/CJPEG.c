#include "CJPEG.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg's default error_exit calls exit(); ours longjmps back into the C wrapper that called
// libjpeg, which turns it into a status code. Warnings are recorded so that a truncated stream
// (which libjpeg pads with grey and reports only as a warning) is not mistaken for a frame.
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;
    char message[JMSG_LENGTH_MAX];
} cjpeg_error_mgr;

struct CJPEG_Decoder {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    int ready;
};

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void cjpeg_emit_message(j_common_ptr cinfo, int level) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (level < 0) {
        // A warning. Premature end of data means the frame is truncated; the rest (extraneous
        // bytes before a marker, which many webcams produce) leave a usable picture.
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            err->truncated = 1;
            (*cinfo->err->format_message)(cinfo, err->message);
        }
        cinfo->err->num_warnings++;
    }
}

static void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cjpeg_install(cjpeg_error_mgr *err, j_common_ptr cinfo) {
    cinfo->err = jpeg_std_error(&err->pub);
    err->pub.error_exit = cjpeg_error_exit;
    err->pub.emit_message = cjpeg_emit_message;
    err->pub.output_message = cjpeg_output_message;
    err->truncated = 0;
    err->message[0] = 0;
}

CJPEG_Decoder *CJPEG_decoder_create(void) {
    CJPEG_Decoder *d = calloc(1, sizeof(CJPEG_Decoder));
    if (!d) return NULL;
    cjpeg_install(&d->err, (j_common_ptr)&d->cinfo);
    if (setjmp(d->err.jump)) {
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    return d;
}

void CJPEG_decoder_destroy(CJPEG_Decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

const char *CJPEG_decoder_message(const CJPEG_Decoder *d) { return d->err.message; }

int CJPEG_decoder_begin(CJPEG_Decoder *d, const uint8_t *data, size_t length, int scale_denom, int gray,
                        int *out_width, int *out_height, int *out_components, int *src_width,
                        int *src_height) {
    d->ready = 0;
    d->err.truncated = 0;
    d->err.message[0] = 0;
    d->err.pub.num_warnings = 0;
    if (setjmp(d->err.jump)) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    if (length < 4) {
        snprintf(d->err.message, sizeof d->err.message, "%zu bytes are too few for a JPEG", length);
        return CJPEG_ERROR;
    }
    jpeg_mem_src(&d->cinfo, data, (unsigned long)length);
    jpeg_read_header(&d->cinfo, TRUE);
    if (d->err.truncated) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_TRUNCATED;
    }
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = (unsigned)(scale_denom == 2 || scale_denom == 4 || scale_denom == 8 ? scale_denom : 1);
    if (gray) {
        d->cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (d->cinfo.jpeg_color_space == JCS_GRAYSCALE || d->cinfo.jpeg_color_space == JCS_YCbCr ||
               d->cinfo.jpeg_color_space == JCS_RGB) {
        d->cinfo.out_color_space = JCS_RGB;
    } else {
        // CMYK/YCCK: libjpeg cannot convert to RGB itself; refuse rather than guess.
        snprintf(d->err.message, sizeof d->err.message, "unsupported JPEG colour space %d",
                 (int)d->cinfo.jpeg_color_space);
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    jpeg_calc_output_dimensions(&d->cinfo);
    *out_width = (int)d->cinfo.output_width;
    *out_height = (int)d->cinfo.output_height;
    *out_components = d->cinfo.out_color_components;
    *src_width = (int)d->cinfo.image_width;
    *src_height = (int)d->cinfo.image_height;
    d->ready = 1;
    return CJPEG_OK;
}

int CJPEG_decoder_finish(CJPEG_Decoder *d, uint8_t *out, size_t stride) {
    if (!d->ready) return CJPEG_MISUSE;
    d->ready = 0;
    if (setjmp(d->err.jump)) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    jpeg_start_decompress(&d->cinfo);
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JSAMPROW rows[4];
        JDIMENSION n = d->cinfo.rec_outbuf_height;
        if (n > 4) n = 4;
        for (JDIMENSION i = 0; i < n; i++) rows[i] = out + (size_t)(d->cinfo.output_scanline + i) * stride;
        // Rows past the end are never written: libjpeg returns at most the remaining count.
        JDIMENSION left = d->cinfo.output_height - d->cinfo.output_scanline;
        jpeg_read_scanlines(&d->cinfo, rows, n < left ? n : left);
        if (d->err.truncated) break;
    }
    if (d->err.truncated) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_TRUNCATED;
    }
    jpeg_finish_decompress(&d->cinfo);
    if (d->err.truncated) return CJPEG_TRUNCATED;
    return CJPEG_OK;
}

int CJPEG_encode(const uint8_t *pixels, int width, int height, int components, int quality, uint8_t **out,
                 size_t *out_length, char *message) {
    struct jpeg_compress_struct cinfo;
    cjpeg_error_mgr err;
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    *out = NULL;
    *out_length = 0;
    cjpeg_install(&err, (j_common_ptr)&cinfo);
    if (setjmp(err.jump)) {
        strncpy(message, err.message, 199);
        message[199] = 0;
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return CJPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * (size_t)components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_length = size;
    return CJPEG_OK;
}

void CJPEG_free(void *p) { free(p); }
