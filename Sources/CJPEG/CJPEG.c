#include "CJPEG.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg's default error_exit calls exit(); ours longjmps back into the C wrapper that called
// libjpeg, which turns it into a status code. Warnings are sorted: those that mean the entropy data
// is damaged or missing make the frame corrupt (libjpeg would grey-fill the rest and carry on),
// the benign ones (bytes between segments, which many webcams produce; an unknown JFIF revision or
// Adobe transform) leave a usable picture.
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;
    int damaged;
    char message[JMSG_LENGTH_MAX];
} cjpeg_error_mgr;

// Progressive files with absurd scan counts cost CPU without end; libjpeg-turbo's own tools stop at 500.
#define CJPEG_MAX_SCANS 500

struct CJPEG_Decoder {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    int ready;
    int planes;
    // YCbCr to RGB, the tables of libjpeg's jdcolor.c (for the one-decode luma + RGB path).
    int cr_r[256], cb_b[256];
    int32_t cr_g[256], cb_g[256];
};

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void cjpeg_emit_message(j_common_ptr cinfo, int level) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (level >= 0) return;  // trace messages
    cinfo->err->num_warnings++;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
        if (!err->truncated && !err->damaged) (*cinfo->err->format_message)(cinfo, err->message);
        err->truncated = 1;
        break;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL:
        if (!err->truncated && !err->damaged) (*cinfo->err->format_message)(cinfo, err->message);
        err->damaged = 1;
        break;
    default:  // JWRN_EXTRANEOUS_DATA, JWRN_JFIF_MAJOR, JWRN_ADOBE_XFORM, JWRN_BOGUS_ICC, ...
        break;
    }
}

static void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cjpeg_progress(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > CJPEG_MAX_SCANS) {
        cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
        snprintf(err->message, sizeof err->message, "more than %d progressive scans", CJPEG_MAX_SCANS);
        longjmp(err->jump, 1);
    }
}

static void cjpeg_install(cjpeg_error_mgr *err, j_common_ptr cinfo) {
    cinfo->err = jpeg_std_error(&err->pub);
    err->pub.error_exit = cjpeg_error_exit;
    err->pub.emit_message = cjpeg_emit_message;
    err->pub.output_message = cjpeg_output_message;
    err->truncated = 0;
    err->damaged = 0;
    err->message[0] = 0;
}

#define CJPEG_SCALEBITS 16
#define CJPEG_ONE_HALF ((int32_t)1 << (CJPEG_SCALEBITS - 1))
#define CJPEG_FIX(x) ((int32_t)((x) * (1L << CJPEG_SCALEBITS) + 0.5))

CJPEG_Decoder *CJPEG_decoder_create(void) {
    CJPEG_Decoder *d = calloc(1, sizeof(CJPEG_Decoder));
    if (!d) return NULL;
    cjpeg_install(&d->err, (j_common_ptr)&d->cinfo);
    if (setjmp(d->err.jump)) {
        free(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    d->progress.progress_monitor = cjpeg_progress;
    d->cinfo.progress = &d->progress;
    for (int i = 0; i < 256; i++) {
        int32_t x = i - 128;
        d->cr_r[i] = (int)((CJPEG_FIX(1.40200) * x + CJPEG_ONE_HALF) >> CJPEG_SCALEBITS);
        d->cb_b[i] = (int)((CJPEG_FIX(1.77200) * x + CJPEG_ONE_HALF) >> CJPEG_SCALEBITS);
        d->cr_g[i] = -CJPEG_FIX(0.71414) * x;
        d->cb_g[i] = -CJPEG_FIX(0.34414) * x + CJPEG_ONE_HALF;
    }
    return d;
}

void CJPEG_decoder_destroy(CJPEG_Decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

const char *CJPEG_decoder_message(const CJPEG_Decoder *d) { return d->err.message; }

static int cjpeg_warning_status(CJPEG_Decoder *d) {
    if (d->err.truncated) return CJPEG_TRUNCATED;
    if (d->err.damaged) return CJPEG_ERROR;
    return CJPEG_OK;
}

int CJPEG_decoder_begin(CJPEG_Decoder *d, const uint8_t *data, size_t length, int scale_denom, int min_width,
                        uint64_t max_pixels, int planes, int *out_width, int *out_height, int *src_width,
                        int *src_height) {
    d->ready = 0;
    d->err.truncated = 0;
    d->err.damaged = 0;
    d->err.message[0] = 0;
    d->err.pub.num_warnings = 0;
    if (setjmp(d->err.jump)) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    if (planes != CJPEG_PLANES_GRAY && planes != CJPEG_PLANES_RGB && planes != CJPEG_PLANES_GRAY_RGB) {
        snprintf(d->err.message, sizeof d->err.message, "planes %d unknown", planes);
        return CJPEG_MISUSE;
    }
    if (length < 4) {
        snprintf(d->err.message, sizeof d->err.message, "%zu bytes are too few for a JPEG", length);
        return CJPEG_ERROR;
    }
    // Whole-image coefficient buffers (progressive, multi-scan) take 2 bytes per sample; four
    // full-size components at the cap, plus working room. Above this libjpeg fails (no backing store).
    uint64_t budget = max_pixels > (UINT64_C(1) << 40) ? (UINT64_C(1) << 43) : max_pixels * 8 + (UINT64_C(16) << 20);
    d->cinfo.mem->max_memory_to_use = budget > (uint64_t)LONG_MAX ? LONG_MAX : (long)budget;
    jpeg_mem_src(&d->cinfo, data, (unsigned long)length);
    jpeg_read_header(&d->cinfo, TRUE);
    int status = cjpeg_warning_status(d);
    if (status != CJPEG_OK) {
        jpeg_abort_decompress(&d->cinfo);
        return status;
    }
    *src_width = (int)d->cinfo.image_width;
    *src_height = (int)d->cinfo.image_height;
    uint64_t pixels = (uint64_t)d->cinfo.image_width * (uint64_t)d->cinfo.image_height;
    if (pixels > max_pixels) {
        snprintf(d->err.message, sizeof d->err.message, "%ux%u is over the cap of %llu pixels",
                 (unsigned)d->cinfo.image_width, (unsigned)d->cinfo.image_height, (unsigned long long)max_pixels);
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_TOO_LARGE;
    }
    unsigned denom = 1;
    if (min_width > 0) {
        // The largest reduction that keeps ceil(width / s) >= min_width, as libjpeg rounds up.
        for (unsigned s = 8; s >= 2; s /= 2) {
            if ((d->cinfo.image_width + s - 1) / s >= (unsigned)min_width) {
                denom = s;
                break;
            }
        }
    } else if (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) {
        denom = (unsigned)scale_denom;
    }
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = denom;
    J_COLOR_SPACE source = d->cinfo.jpeg_color_space;
    if (source != JCS_GRAYSCALE && source != JCS_YCbCr && source != JCS_RGB) {
        // CMYK/YCCK: libjpeg cannot convert to RGB itself; refuse rather than guess.
        snprintf(d->err.message, sizeof d->err.message, "unsupported JPEG colour space %d", (int)source);
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    if (planes == CJPEG_PLANES_GRAY) {
        d->cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (planes == CJPEG_PLANES_RGB) {
        d->cinfo.out_color_space = JCS_RGB;
    } else {
        // One decode for both planes: Y is taken as libjpeg's gray output would take it, and RGB is
        // formed from it as libjpeg's own colour conversion would (the same tables).
        d->cinfo.out_color_space = source == JCS_YCbCr ? JCS_YCbCr : source;
    }
    jpeg_calc_output_dimensions(&d->cinfo);
    *out_width = (int)d->cinfo.output_width;
    *out_height = (int)d->cinfo.output_height;
    d->planes = planes;
    d->ready = 1;
    return CJPEG_OK;
}

// Splits `n` rows of libjpeg output (in its out_color_space) into the luma and RGB planes.
static void cjpeg_split_rows(CJPEG_Decoder *d, JSAMPARRAY rows, JDIMENSION first, JDIMENSION n, uint8_t *gray,
                             size_t gray_stride, uint8_t *rgb, size_t rgb_stride) {
    JDIMENSION width = d->cinfo.output_width;
    for (JDIMENSION r = 0; r < n; r++) {
        const JSAMPLE *in = rows[r];
        uint8_t *g = gray + (size_t)(first + r) * gray_stride;
        uint8_t *c = rgb + (size_t)(first + r) * rgb_stride;
        switch (d->cinfo.out_color_space) {
        case JCS_YCbCr:
            for (JDIMENSION x = 0; x < width; x++) {
                int y = in[3 * x], cb = in[3 * x + 1], cr = in[3 * x + 2];
                int red = y + d->cr_r[cr];
                int green = y + (int)((d->cb_g[cb] + d->cr_g[cr]) >> CJPEG_SCALEBITS);
                int blue = y + d->cb_b[cb];
                g[x] = (uint8_t)y;
                c[3 * x] = (uint8_t)(red < 0 ? 0 : red > 255 ? 255 : red);
                c[3 * x + 1] = (uint8_t)(green < 0 ? 0 : green > 255 ? 255 : green);
                c[3 * x + 2] = (uint8_t)(blue < 0 ? 0 : blue > 255 ? 255 : blue);
            }
            break;
        case JCS_RGB:
            // libjpeg's rgb_gray_convert: BT.601 weights in 16-bit fixed point (ColorConversion.luma).
            for (JDIMENSION x = 0; x < width; x++) {
                uint32_t red = in[3 * x], green = in[3 * x + 1], blue = in[3 * x + 2];
                c[3 * x] = (uint8_t)red;
                c[3 * x + 1] = (uint8_t)green;
                c[3 * x + 2] = (uint8_t)blue;
                g[x] = (uint8_t)((19595u * red + 38470u * green + 7471u * blue + 32768u) >> 16);
            }
            break;
        default:  // JCS_GRAYSCALE
            for (JDIMENSION x = 0; x < width; x++) {
                g[x] = in[x];
                c[3 * x] = c[3 * x + 1] = c[3 * x + 2] = in[x];
            }
            break;
        }
    }
}

int CJPEG_decoder_finish(CJPEG_Decoder *d, uint8_t *gray, size_t gray_stride, uint8_t *rgb, size_t rgb_stride) {
    if (!d->ready) return CJPEG_MISUSE;
    d->ready = 0;
    int planes = d->planes;
    if (((planes & CJPEG_PLANES_GRAY) != 0) != (gray != NULL) || ((planes & CJPEG_PLANES_RGB) != 0) != (rgb != NULL)) {
        snprintf(d->err.message, sizeof d->err.message, "output planes do not match the planes asked for");
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_MISUSE;
    }
    if (setjmp(d->err.jump)) {
        jpeg_abort_decompress(&d->cinfo);
        return CJPEG_ERROR;
    }
    jpeg_start_decompress(&d->cinfo);
    JSAMPARRAY scratch = NULL;
    if (planes == CJPEG_PLANES_GRAY_RGB) {
        // Freed by libjpeg with the image pool, on finish or abort alike.
        scratch = (*d->cinfo.mem->alloc_sarray)((j_common_ptr)&d->cinfo, JPOOL_IMAGE,
                                               d->cinfo.output_width * (JDIMENSION)d->cinfo.out_color_components, 4);
    }
    uint8_t *direct = planes == CJPEG_PLANES_GRAY ? gray : rgb;
    size_t stride = planes == CJPEG_PLANES_GRAY ? gray_stride : rgb_stride;
    while (d->cinfo.output_scanline < d->cinfo.output_height && cjpeg_warning_status(d) == CJPEG_OK) {
        JSAMPROW rows[4];
        JDIMENSION first = d->cinfo.output_scanline;
        JDIMENSION n = d->cinfo.rec_outbuf_height;
        if (n > 4) n = 4;
        JDIMENSION left = d->cinfo.output_height - first;
        if (n > left) n = left;
        for (JDIMENSION i = 0; i < n; i++) rows[i] = scratch ? scratch[i] : direct + (size_t)(first + i) * stride;
        // Rows past the end are never written: libjpeg returns at most the remaining count.
        JDIMENSION got = jpeg_read_scanlines(&d->cinfo, rows, n);
        if (scratch) cjpeg_split_rows(d, rows, first, got, gray, gray_stride, rgb, rgb_stride);
    }
    int status = cjpeg_warning_status(d);
    if (status != CJPEG_OK) {
        jpeg_abort_decompress(&d->cinfo);
        return status;
    }
    jpeg_finish_decompress(&d->cinfo);
    return cjpeg_warning_status(d);
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
