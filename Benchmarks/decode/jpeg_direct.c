/* The peer for `make bench`: libjpeg-turbo called directly, with the same settings Sightline's
 * decoder uses (memory source, ISLOW IDCT, fancy upsampling, DCT scaling 1/N, RGB or luma out).
 * Prints mean and best thread-CPU microseconds per decode, like `sightline-bench decode --json`.
 * Usage: jpeg_direct FILE SCALE GRAY SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>

static double now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void decode(const unsigned char *data, unsigned long size, int scale, int gray, unsigned char *out,
                   int *w, int *h) {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.scale_num = 1;
    cinfo.scale_denom = scale;
    cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * cinfo.output_components;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    *w = cinfo.output_width;
    *h = cinfo.output_height;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s FILE SCALE GRAY SECONDS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(size);
    if (fread(data, 1, size, f) != (size_t)size) { perror("read"); return 1; }
    fclose(f);
    int scale = atoi(argv[2]), gray = atoi(argv[3]);
    double seconds = atof(argv[4]);
    unsigned char *out = malloc(8192 * 8192 * 3);
    int w = 0, h = 0, runs = 0;
    decode(data, size, scale, gray, out, &w, &h);
    double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_THREAD_CPUTIME_ID), best = 1e30;
    while (now(CLOCK_MONOTONIC) - wall0 < seconds * 1e9 || runs < 5) {
        double t = now(CLOCK_THREAD_CPUTIME_ID);
        decode(data, size, scale, gray, out, &w, &h);
        double d = now(CLOCK_THREAD_CPUTIME_ID) - t;
        if (d < best) best = d;
        runs++;
    }
    double mean = (now(CLOCK_THREAD_CPUTIME_ID) - cpu0) / runs;
    printf("{\"file\":\"%s\",\"width\":%d,\"height\":%d,\"scale\":%d,\"gray\":%s,\"runs\":%d,\"mean_us\":%.3f,"
           "\"best_us\":%.3f}\n", argv[1], w, h, scale, gray ? "true" : "false", runs, mean / 1e3, best / 1e3);
    return 0;
}
