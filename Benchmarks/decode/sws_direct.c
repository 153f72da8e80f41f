/* The peer for `make bench` (raw frames): FFmpeg's libswscale called directly, doing the work Sightline's
 * RawConversion does for one uncompressed camera frame: luma (GRAY8) and, unless GRAY, RGB24 at 1/SCALE of the
 * source size — area averaging when reducing (SWS_AREA), nearest samples at full size (SWS_POINT). Sightline takes
 * the chroma at each pixel (SWS_FULL_CHR_H_INT would be the same work; swscale is three times slower with it here,
 * so the peer runs its faster default).
 * Prints mean and best thread-CPU microseconds per frame, like `sightline-bench raw --json`.
 * Usage: sws_direct FORMAT(yuyv|nv12|i420) WIDTH HEIGHT SCALE GRAY SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libswscale/swscale.h>
#include <libavutil/pixfmt.h>

static double now(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: sws_direct FORMAT WIDTH HEIGHT SCALE GRAY SECONDS\n"); return 2; }
    const char *name = argv[1];
    int w = atoi(argv[2]), h = atoi(argv[3]), scale = atoi(argv[4]), gray = atoi(argv[5]);
    double seconds = atof(argv[6]);
    if (w <= 0 || h <= 0 || w > 8192 || h > 8192 || (scale != 1 && scale != 2 && scale != 4 && scale != 8)) {
        fprintf(stderr, "bad size or scale\n");
        return 2;
    }
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    enum AVPixelFormat fmt;
    size_t size;
    const uint8_t *planes[4] = {0};
    int strides[4] = {0};
    uint8_t *src;
    if (!strcmp(name, "yuyv")) { fmt = AV_PIX_FMT_YUYV422; size = (size_t)cw * 4 * h; }
    else if (!strcmp(name, "nv12")) { fmt = AV_PIX_FMT_NV12; size = (size_t)w * h + (size_t)cw * 2 * ch; }
    else if (!strcmp(name, "i420")) { fmt = AV_PIX_FMT_YUV420P; size = (size_t)w * h + (size_t)2 * cw * ch; }
    else { fprintf(stderr, "unknown format %s\n", name); return 2; }
    src = malloc(size);
    unsigned long long state = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < size; i++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        src[i] = (uint8_t)(16 + (state >> 40) % 220);
    }
    planes[0] = src;
    if (fmt == AV_PIX_FMT_YUYV422) { strides[0] = cw * 4; }
    else if (fmt == AV_PIX_FMT_NV12) { strides[0] = w; planes[1] = src + (size_t)w * h; strides[1] = cw * 2; }
    else {
        strides[0] = w; planes[1] = src + (size_t)w * h; strides[1] = cw;
        planes[2] = planes[1] + (size_t)cw * ch; strides[2] = cw;
    }
    int ow = w / scale > 0 ? w / scale : 1, oh = h / scale > 0 ? h / scale : 1;
    int flags = (scale == 1 ? SWS_POINT : SWS_AREA);
    struct SwsContext *toGray = sws_getContext(w, h, fmt, ow, oh, AV_PIX_FMT_GRAY8, flags, NULL, NULL, NULL);
    struct SwsContext *toRGB = gray ? NULL : sws_getContext(w, h, fmt, ow, oh, AV_PIX_FMT_RGB24, flags, NULL, NULL, NULL);
    if (!toGray || (!gray && !toRGB)) { fprintf(stderr, "sws_getContext failed\n"); return 1; }
    uint8_t *luma = malloc((size_t)ow * oh), *rgb = malloc((size_t)ow * oh * 3);
    uint8_t *lumaPlanes[4] = {luma}, *rgbPlanes[4] = {rgb};
    int lumaStrides[4] = {ow}, rgbStrides[4] = {ow * 3};
    long runs = 0;
    double best = 1e30, wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_THREAD_CPUTIME_ID);
    unsigned checksum = 0;
    while (now(CLOCK_MONOTONIC) - wall0 < seconds * 1e9 || runs < 5) {
        double t0 = now(CLOCK_THREAD_CPUTIME_ID);
        sws_scale(toGray, planes, strides, 0, h, lumaPlanes, lumaStrides);
        if (!gray) sws_scale(toRGB, planes, strides, 0, h, rgbPlanes, rgbStrides);
        double t = now(CLOCK_THREAD_CPUTIME_ID) - t0;
        if (t < best) best = t;
        checksum += luma[runs % ((size_t)ow * oh)] + (gray ? 0 : rgb[runs % 97]);
        runs++;
    }
    double mean = (now(CLOCK_THREAD_CPUTIME_ID) - cpu0) / runs;
    printf("{\"format\":\"%s\",\"width\":%d,\"height\":%d,\"scale\":%d,\"gray\":%s,\"runs\":%ld,\"mean_us\":%.3f,"
           "\"best_us\":%.3f,\"checksum\":%u}\n", name, ow, oh, scale, gray ? "true" : "false", runs, mean / 1e3,
           best / 1e3, checksum);
    sws_freeContext(toGray);
    sws_freeContext(toRGB);
    free(src); free(luma); free(rgb);
    return 0;
}
