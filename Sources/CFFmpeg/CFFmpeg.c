#include "CFFmpeg.h"
#include "TLSBridge.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

// Everything FFmpeg allocates for one input lives in this struct and is freed by cffmpeg_release:
// Swift never sees an FFmpeg pointer.
struct CFFmpeg_Reader {
    AVFormatContext *format;
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;      // as decoded (may live in GPU memory)
    AVFrame *transfer;   // a hardware frame copied to system memory
    AVFrame *current;    // frame or transfer: what convert reads
    AVBufferRef *hw_device;
    enum AVPixelFormat hw_format;
    struct SwsContext *gray_scaler;
    struct SwsContext *rgb_scaler;
    uint8_t *rotate_buffer;
    size_t rotate_capacity;
    int video_stream;
    int rotation;
    int draining;
    int invalid_reads;
    int ended;
    int64_t max_pixels;
    uint64_t corrupt;
    int timeout_ms;
    // The interrupt callback's state: a deadline refreshed before each blocking call, and the
    // sticky flag another thread may set.
    atomic_int interrupted;
    int64_t deadline_ns;
    int timed_out;
    char hwaccel[16];
    char hwaccel_note[256];
    char message[256];
    // FFmpeg's first error line while reading a local file's headers (its log goes nowhere otherwise):
    // the reason behind a bare errno, such as "Picture size 30000x30000 is invalid". Never kept for a
    // network input, whose lines may quote the URL.
    char note[192];
    int local;
    int reason;
    // The verified TLS connection of an rtsps:// input, relayed to FFmpeg; freed after the format context.
    TLSBridge *tls;
};

static int64_t cffmpeg_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cffmpeg_interrupt_callback(void *opaque) {
    CFFmpeg_Reader *r = opaque;
    if (atomic_load(&r->interrupted)) return 1;
    if (r->deadline_ns > 0 && cffmpeg_now_ns() > r->deadline_ns) {
        r->timed_out = 1;
        return 1;
    }
    return 0;
}

static void cffmpeg_arm(CFFmpeg_Reader *r) {
    r->timed_out = 0;
    r->deadline_ns = r->timeout_ms > 0 ? cffmpeg_now_ns() + (int64_t)r->timeout_ms * 1000000 : 0;
}

static int cffmpeg_reason(int averror) {
    switch (averror) {
    case 0: return CFFMPEG_REASON_NONE;
    case AVERROR_HTTP_UNAUTHORIZED: return CFFMPEG_REASON_UNAUTHORIZED;
    case AVERROR_HTTP_FORBIDDEN: return CFFMPEG_REASON_FORBIDDEN;
    case AVERROR_HTTP_NOT_FOUND: return CFFMPEG_REASON_NOT_FOUND;
    case AVERROR(ECONNREFUSED): return CFFMPEG_REASON_REFUSED;
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EADDRNOTAVAIL): return CFFMPEG_REASON_UNREACHABLE;
    default: break;
    }
    // getaddrinfo failures come back as EIO from the tcp protocol; the message says which.
    return CFFMPEG_REASON_OTHER;
}

static int cffmpeg_fail(CFFmpeg_Reader *r, int status, const char *what, int averror) {
    r->reason = cffmpeg_reason(averror);
    if (averror != 0) {
        char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
        av_strerror(averror, reason, sizeof reason);
        snprintf(r->message, sizeof r->message, "%s: %s", what, reason);
    } else {
        snprintf(r->message, sizeof r->message, "%s", what);
    }
    return status;
}

// Which status a failed blocking call deserves: ours (interrupt, timeout) before FFmpeg's.
static int cffmpeg_blocking_status(CFFmpeg_Reader *r, int fallback) {
    if (atomic_load(&r->interrupted)) return CFFMPEG_INTERRUPTED;
    if (r->timed_out) return CFFMPEG_TIMEOUT;
    return fallback;
}

// FFmpeg's own log lines go nowhere: they would reach stderr unformatted, and a network demuxer's may
// quote the URL with its credentials. What a caller needs is in the reader's status and message.
// The calling thread's first error line from FFmpeg since the open began (reading headers logs on the
// thread that opens): the first is the cause, later ones its consequences ("no frame!").
static _Thread_local char cffmpeg_last_error[192];

static void cffmpeg_quiet_log(void *avcl, int level, const char *format, va_list args) {
    (void)avcl;
    if (level > AV_LOG_ERROR || cffmpeg_last_error[0]) return;
    va_list copy;
    va_copy(copy, args);
    vsnprintf(cffmpeg_last_error, sizeof cffmpeg_last_error, format, copy);
    va_end(copy);
    size_t n = strlen(cffmpeg_last_error);
    while (n > 0 && (cffmpeg_last_error[n - 1] == '\n' || cffmpeg_last_error[n - 1] == ' ')) cffmpeg_last_error[--n] = 0;
}

// Keeps the thread's first FFmpeg error line as the reader's note, for a local input only.
static void cffmpeg_take_note(CFFmpeg_Reader *r) {
    if (r->local && cffmpeg_last_error[0]) snprintf(r->note, sizeof r->note, "%s", cffmpeg_last_error);
}

static pthread_once_t cffmpeg_log_once = PTHREAD_ONCE_INIT;

static void cffmpeg_install_log(void) { av_log_set_callback(cffmpeg_quiet_log); }

CFFmpeg_Reader *CFFmpeg_reader_create(void) {
    pthread_once(&cffmpeg_log_once, cffmpeg_install_log);
    CFFmpeg_Reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->video_stream = -1;
    r->hw_format = AV_PIX_FMT_NONE;
    atomic_init(&r->interrupted, 0);
    return r;
}

void CFFmpeg_reader_close(CFFmpeg_Reader *r) {
    avcodec_free_context(&r->codec);
    avformat_close_input(&r->format);
    TLSBridge_destroy(r->tls);
    r->tls = NULL;
    av_packet_free(&r->packet);
    av_frame_free(&r->frame);
    av_frame_free(&r->transfer);
    av_buffer_unref(&r->hw_device);
    sws_freeContext(r->gray_scaler);
    sws_freeContext(r->rgb_scaler);
    r->gray_scaler = NULL;
    r->rgb_scaler = NULL;
    free(r->rotate_buffer);
    r->rotate_buffer = NULL;
    r->rotate_capacity = 0;
    r->current = NULL;
    r->video_stream = -1;
    r->hw_format = AV_PIX_FMT_NONE;
    r->rotation = 0;
    r->draining = 0;
    r->invalid_reads = 0;
    r->ended = 0;
    r->hwaccel[0] = 0;
}

void CFFmpeg_reader_destroy(CFFmpeg_Reader *r) {
    if (!r) return;
    CFFmpeg_reader_close(r);
    free(r);
}

void CFFmpeg_reader_interrupt(CFFmpeg_Reader *r) { atomic_store(&r->interrupted, 1); }

static int cffmpeg_rotation(const AVStream *stream) {
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t)) return 0;
    // As ffmpeg's own autorotation: the matrix's counter-clockwise angle, negated, in [0, 360).
    double theta = -round(av_display_rotation_get((const int32_t *)matrix));
    if (isnan(theta)) return 0;
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1) return 90;
    if (fabs(theta - 180) < 1) return 180;
    if (fabs(theta - 270) < 1) return 270;
    return 0;
}

static int cffmpeg_open_input(CFFmpeg_Reader *r, const char *url, const CFFmpeg_Options *options) {
    CFFmpeg_reader_close(r);
    // An interrupt is final for the reader, never cleared here: one that lands just before this open (a stop
    // racing a reconnect) must still end it, not wait for the deadline.
    if (atomic_load(&r->interrupted)) return cffmpeg_fail(r, CFFMPEG_INTERRUPTED, "interrupted", 0);
    r->corrupt = 0;
    r->message[0] = 0;
    r->note[0] = 0;
    cffmpeg_last_error[0] = 0;
    r->local = strncmp(url, "file:", 5) == 0 || strncmp(url, "pipe:", 5) == 0;
    r->reason = CFFMPEG_REASON_NONE;
    r->hwaccel_note[0] = 0;
    r->max_pixels = options->max_pixels > 0 ? options->max_pixels : (int64_t)8192 * 8192;
    r->timeout_ms = options->timeout_ms;

    r->format = avformat_alloc_context();
    if (!r->format) return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot allocate the input", 0);
    r->format->interrupt_callback.callback = cffmpeg_interrupt_callback;
    r->format->interrupt_callback.opaque = r;

    AVDictionary *dict = NULL;
    char bridged[2048];
    if (strncmp(url, "rtsps://", 8) == 0) {
        // FFmpeg's own rtsps:// does not verify the camera's certificate: Sightline makes the TLS connection,
        // verified, and FFmpeg speaks plain RTSP over TCP to the bridge on loopback, and nothing else.
        char proto[16], auth[512], host[512], path[1024];
        int port = -1;
        av_url_split(proto, sizeof proto, auth, sizeof auth, host, sizeof host, &port, path, sizeof path, url);
        if (!host[0]) return cffmpeg_fail(r, CFFMPEG_CANNOT_OPEN, "the rtsps:// URL names no host", 0);
        char why[sizeof r->message];
        int bridged_status = TLSBridge_open(host, port > 0 ? port : 322, options->tls_ca_file, options->timeout_ms,
                                            &r->interrupted, &r->tls, why, sizeof why);
        if (bridged_status != 0 && atomic_load(&r->interrupted)) {
            return cffmpeg_fail(r, CFFMPEG_INTERRUPTED, "interrupted", 0);
        }
        if (bridged_status != 0) {
            r->reason = bridged_status == -2 ? CFFMPEG_REASON_UNTRUSTED : CFFMPEG_REASON_OTHER;
            snprintf(r->message, sizeof r->message, "%s", why);
            return CFFMPEG_CANNOT_OPEN;
        }
        int n = snprintf(bridged, sizeof bridged, "rtsp://%s%s127.0.0.1:%d%s", auth, auth[0] ? "@" : "",
                         TLSBridge_port(r->tls), path);
        if (n < 0 || (size_t)n >= sizeof bridged) return cffmpeg_fail(r, CFFMPEG_CANNOT_OPEN, "the URL is too long", 0);
        url = bridged;
        av_dict_set(&dict, "protocol_whitelist", "rtsp,tcp", 0);
        av_dict_set(&dict, "rtsp_transport", "tcp", 0);
        if (options->timeout_ms > 0) av_dict_set_int(&dict, "timeout", (int64_t)options->timeout_ms * 1000, 0);
    } else if (options->protocols) {
        av_dict_set(&dict, "protocol_whitelist", options->protocols, 0);
    }
    if (strncmp(url, "rtsp://", 7) == 0 && !r->tls) {
        av_dict_set(&dict, "rtsp_transport", options->transport == CFFMPEG_TRANSPORT_UDP ? "udp" : "tcp", 0);
        if (options->timeout_ms > 0) {
            // The RTSP demuxer's own socket timeout, in microseconds; the interrupt callback covers the rest.
            av_dict_set_int(&dict, "timeout", (int64_t)options->timeout_ms * 1000, 0);
        }
    }
    cffmpeg_arm(r);
    AVFormatContext *format = r->format;
    int err = avformat_open_input(&format, url, NULL, &dict);
    av_dict_free(&dict);
    if (err < 0) {
        r->format = NULL;  // avformat_open_input freed it
        int status = cffmpeg_blocking_status(r, err == AVERROR_INVALIDDATA ? CFFMPEG_NOT_VIDEO : CFFMPEG_CANNOT_OPEN);
        const char *what = status == CFFMPEG_NOT_VIDEO ? "not a media file FFmpeg can read" : "cannot open";
        cffmpeg_take_note(r);
        if (r->note[0] && status != CFFMPEG_TIMEOUT && status != CFFMPEG_INTERRUPTED) {
            // FFmpeg's own line says more than the errno its demuxer returned (a Y4M file declaring a huge
            // picture fails with EBUSY, "Device or resource busy").
            r->reason = cffmpeg_reason(err);
            // (The caller's own words already say "cannot open PATH".)
            if (status == CFFMPEG_CANNOT_OPEN) snprintf(r->message, sizeof r->message, "%s", r->note);
            else snprintf(r->message, sizeof r->message, "%s: %s", what, r->note);
            return status;
        }
        return cffmpeg_fail(r, status, what, status == CFFMPEG_TIMEOUT ? 0 : err);
    }
    r->format = format;
    if (options->headers_only) return CFFMPEG_OK;
    // Finding the stream info decodes a few frames of each stream: its decoders get the picture cap too, so a
    // stream that declares a huge picture is refused before anything that size is allocated.
    unsigned streams = r->format->nb_streams;
    AVDictionary **codec_options = streams ? calloc(streams, sizeof(AVDictionary *)) : NULL;
    if (streams && !codec_options) return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot allocate stream options", 0);
    for (unsigned i = 0; i < streams; i++) av_dict_set_int(&codec_options[i], "max_pixels", r->max_pixels, 0);
    cffmpeg_arm(r);
    err = avformat_find_stream_info(r->format, codec_options);
    for (unsigned i = 0; i < streams; i++) av_dict_free(&codec_options[i]);
    free(codec_options);
    cffmpeg_take_note(r);
    if (err < 0) {
        int status = cffmpeg_blocking_status(r, CFFMPEG_NOT_VIDEO);
        return cffmpeg_fail(r, status, "cannot read the stream headers", status == CFFMPEG_TIMEOUT ? 0 : err);
    }
    return CFFMPEG_OK;
}

int CFFmpeg_reader_probe(CFFmpeg_Reader *r, const char *url, const CFFmpeg_Options *options) {
    int status = cffmpeg_open_input(r, url, options);
    if (status != CFFMPEG_OK) CFFmpeg_reader_close(r);
    return status;
}

static enum AVPixelFormat cffmpeg_get_format(AVCodecContext *codec, const enum AVPixelFormat *formats) {
    CFFmpeg_Reader *r = codec->opaque;
    for (const enum AVPixelFormat *f = formats; *f != AV_PIX_FMT_NONE; f++) {
        if (*f == r->hw_format) return *f;
    }
    // The hardware path cannot take this stream (profile, size): the first software format.
    for (const enum AVPixelFormat *f = formats; *f != AV_PIX_FMT_NONE; f++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*f);
        if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL)) return *f;
    }
    return AV_PIX_FMT_NONE;
}

// Creates a device of `type` if the decoder supports it; 0 on success.
static int cffmpeg_try_device(CFFmpeg_Reader *r, const AVCodec *decoder, enum AVHWDeviceType type) {
    for (int i = 0;; i++) {
        const AVCodecHWConfig *config = avcodec_get_hw_config(decoder, i);
        if (!config) {
            snprintf(r->hwaccel_note, sizeof r->hwaccel_note, "the %s decoder has no %s support", decoder->name,
                     av_hwdevice_get_type_name(type));
            return -1;
        }
        if ((config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && config->device_type == type) {
            AVBufferRef *device = NULL;
            int err = av_hwdevice_ctx_create(&device, type, NULL, NULL, 0);
            if (err < 0) {
                char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
                av_strerror(err, reason, sizeof reason);
                snprintf(r->hwaccel_note, sizeof r->hwaccel_note, "no %s device: %s",
                         av_hwdevice_get_type_name(type), reason);
                return -1;
            }
            r->hw_device = device;
            r->hw_format = config->pix_fmt;
            snprintf(r->hwaccel, sizeof r->hwaccel, "%s", av_hwdevice_get_type_name(type));
            return 0;
        }
    }
}

static void cffmpeg_setup_hwaccel(CFFmpeg_Reader *r, const AVCodec *decoder, int hwaccel) {
    if (hwaccel == CFFMPEG_HWACCEL_VAAPI) {
        cffmpeg_try_device(r, decoder, AV_HWDEVICE_TYPE_VAAPI);
    } else if (hwaccel == CFFMPEG_HWACCEL_AUTO) {
        char notes[256] = {0};
        for (enum AVHWDeviceType type = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); type != AV_HWDEVICE_TYPE_NONE;
             type = av_hwdevice_iterate_types(type)) {
            if (cffmpeg_try_device(r, decoder, type) == 0) return;
            if (!notes[0]) snprintf(notes, sizeof notes, "%s", r->hwaccel_note);
        }
        snprintf(r->hwaccel_note, sizeof r->hwaccel_note, "%s", notes[0] ? notes : "no hardware decoder found");
    }
}

int CFFmpeg_reader_open(CFFmpeg_Reader *r, const char *url, const CFFmpeg_Options *options) {
    int status = cffmpeg_open_input(r, url, options);
    if (status != CFFMPEG_OK) {
        CFFmpeg_reader_close(r);
        return status;
    }
    const AVCodec *decoder = NULL;
    int index = av_find_best_stream(r->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (index < 0 || !decoder) {
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_NOT_VIDEO,
                            index == AVERROR_DECODER_NOT_FOUND ? "no decoder for the video stream"
                                                               : "no video stream",
                            0);
    }
    AVStream *stream = r->format->streams[index];
    AVCodecParameters *par = stream->codecpar;
    if (par->width < 0 || par->height < 0 || (int64_t)par->width * par->height > r->max_pixels) {
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_TOO_LARGE, "the video stream declares a picture larger than allowed", 0);
    }
    if (r->local && (par->width == 0 || par->height == 0)) {
        // Reading the stream info decodes a file's first frames; none gave a size, so none will decode (a
        // stream declaring a picture over the cap ends here, every frame refused by the decoder). A live
        // stream may only not have sent a key frame yet, and is let through.
        char why[sizeof r->message];
        snprintf(why, sizeof why, "the video stream's first frames do not decode%s%s", r->note[0] ? ": " : "",
                 r->note);
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_NOT_VIDEO, why, 0);
    }
    // Everything else of the stream is not read: the demuxer drops its packets before they are queued.
    for (unsigned i = 0; i < r->format->nb_streams; i++) {
        if ((int)i != index) r->format->streams[i]->discard = AVDISCARD_ALL;
    }
    r->video_stream = index;
    r->rotation = cffmpeg_rotation(stream);

    r->codec = avcodec_alloc_context3(decoder);
    r->packet = av_packet_alloc();
    r->frame = av_frame_alloc();
    r->transfer = av_frame_alloc();
    if (!r->codec || !r->packet || !r->frame || !r->transfer) {
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot allocate the decoder", 0);
    }
    int err = avcodec_parameters_to_context(r->codec, par);
    if (err < 0) {
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_NOT_VIDEO, "bad codec parameters", err);
    }
    r->codec->pkt_timebase = stream->time_base;
    r->codec->max_pixels = r->max_pixels;
    r->codec->thread_count = options->threads;
    r->codec->opaque = r;
    cffmpeg_setup_hwaccel(r, decoder, options->hwaccel);
    if (r->hw_device) {
        r->codec->hw_device_ctx = av_buffer_ref(r->hw_device);
        r->codec->get_format = cffmpeg_get_format;
    }
    err = avcodec_open2(r->codec, decoder, NULL);
    if (err < 0 && r->hw_device) {
        // The device exists but this decoder will not open on it: software after all.
        snprintf(r->hwaccel_note, sizeof r->hwaccel_note, "the %s decoder does not open on %s", decoder->name,
                 r->hwaccel);
        avcodec_free_context(&r->codec);
        av_buffer_unref(&r->hw_device);
        r->hwaccel[0] = 0;
        r->hw_format = AV_PIX_FMT_NONE;
        r->codec = avcodec_alloc_context3(decoder);
        if (!r->codec || avcodec_parameters_to_context(r->codec, par) < 0) {
            CFFmpeg_reader_close(r);
            return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot allocate the decoder", 0);
        }
        r->codec->pkt_timebase = stream->time_base;
        r->codec->max_pixels = r->max_pixels;
        r->codec->thread_count = options->threads;
        err = avcodec_open2(r->codec, decoder, NULL);
    }
    if (err < 0) {
        CFFmpeg_reader_close(r);
        return cffmpeg_fail(r, CFFMPEG_NOT_VIDEO, "cannot open the decoder", err);
    }
    return CFFMPEG_OK;
}

int CFFmpeg_reader_stream_count(const CFFmpeg_Reader *r) { return r->format ? (int)r->format->nb_streams : 0; }

int CFFmpeg_reader_video_stream(const CFFmpeg_Reader *r) { return r->video_stream; }

const char *CFFmpeg_reader_format_name(const CFFmpeg_Reader *r) {
    if (!r->format || !r->format->iformat) return "";
    return r->format->iformat->long_name ? r->format->iformat->long_name : r->format->iformat->name;
}

double CFFmpeg_reader_duration(const CFFmpeg_Reader *r) {
    if (!r->format || r->format->duration == AV_NOPTS_VALUE || r->format->duration < 0) return -1;
    return (double)r->format->duration / AV_TIME_BASE;
}

int CFFmpeg_reader_stream_info(const CFFmpeg_Reader *r, int index, CFFmpeg_StreamInfo *out) {
    memset(out, 0, sizeof *out);
    if (!r->format || index < 0 || (unsigned)index >= r->format->nb_streams) return CFFMPEG_MISUSE;
    const AVStream *stream = r->format->streams[index];
    const AVCodecParameters *par = stream->codecpar;
    out->kind = par->codec_type == AVMEDIA_TYPE_VIDEO ? 0 : par->codec_type == AVMEDIA_TYPE_AUDIO ? 1 : 2;
    snprintf(out->codec, sizeof out->codec, "%s", avcodec_get_name(par->codec_id));
    out->width = par->width;
    out->height = par->height;
    AVRational rate = stream->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
    if (rate.num > 0 && rate.den > 0) {
        out->fps_num = rate.num;
        out->fps_den = rate.den;
    }
    out->duration = -1;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0 && stream->time_base.den > 0) {
        out->duration = stream->duration * av_q2d(stream->time_base);
    } else if (r->format->duration != AV_NOPTS_VALUE && r->format->duration > 0) {
        out->duration = (double)r->format->duration / AV_TIME_BASE;
    }
    out->rotation = par->codec_type == AVMEDIA_TYPE_VIDEO ? cffmpeg_rotation(stream) : 0;
    return CFFMPEG_OK;
}

// Takes a decoded frame: copies it out of GPU memory when needed, checks its size, fills `out`.
// Returns 1 when the frame is delivered, 0 when it was skipped as damaged, or a negative status.
static int cffmpeg_accept(CFFmpeg_Reader *r, CFFmpeg_Frame *out) {
    AVFrame *frame = r->frame;
    if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        r->corrupt++;
        return 0;
    }
    if (r->hw_device && frame->format == r->hw_format) {
        av_frame_unref(r->transfer);
        int err = av_hwframe_transfer_data(r->transfer, frame, 0);
        if (err < 0) {
            r->corrupt++;
            return 0;
        }
        r->transfer->pts = frame->pts;
        r->transfer->best_effort_timestamp = frame->best_effort_timestamp;
        frame = r->transfer;
    }
    if (frame->width <= 0 || frame->height <= 0 || (int64_t)frame->width * frame->height > r->max_pixels) {
        return -cffmpeg_fail(r, CFFMPEG_TOO_LARGE, "a decoded frame is larger than allowed", 0);
    }
    r->current = frame;
    int64_t ts = frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = frame->pts;
    AVRational base = r->format->streams[r->video_stream]->time_base;
    out->pts = ts == AV_NOPTS_VALUE || base.den == 0 ? NAN : ts * av_q2d(base);
    out->width = frame->width;
    out->height = frame->height;
    int swap = r->rotation == 90 || r->rotation == 270;
    out->display_width = swap ? frame->height : frame->width;
    out->display_height = swap ? frame->width : frame->height;
    return 1;
}

int CFFmpeg_reader_next_frame(CFFmpeg_Reader *r, CFFmpeg_Frame *out) {
    memset(out, 0, sizeof *out);
    if (!r->codec) return cffmpeg_fail(r, CFFMPEG_MISUSE, "next frame before open", 0);
    if (r->ended) return CFFMPEG_END;
    r->current = NULL;
    for (;;) {
        if (atomic_load(&r->interrupted)) return cffmpeg_fail(r, CFFMPEG_INTERRUPTED, "interrupted", 0);
        av_frame_unref(r->frame);
        int err = avcodec_receive_frame(r->codec, r->frame);
        if (err == 0) {
            int accepted = cffmpeg_accept(r, out);
            if (accepted < 0) return -accepted;
            if (accepted) return CFFMPEG_OK;
            continue;
        }
        if (err == AVERROR_EOF) {
            r->ended = 1;
            return CFFMPEG_END;
        }
        if (err != AVERROR(EAGAIN)) {
            // A frame the decoder could not finish: counted, and decoding goes on with the next packet.
            r->corrupt++;
            if (!r->draining) continue;
            r->ended = 1;
            return CFFMPEG_END;
        }
        if (r->draining) {
            r->ended = 1;
            return CFFMPEG_END;
        }
        cffmpeg_arm(r);
        err = av_read_frame(r->format, r->packet);
        if (err < 0) {
            int status = cffmpeg_blocking_status(r, 0);
            if (status) return cffmpeg_fail(r, status, status == CFFMPEG_TIMEOUT ? "no data" : "interrupted", 0);
            int at_end = err == AVERROR_EOF || (r->format->pb && avio_feof(r->format->pb) && err != AVERROR(EIO));
            if (!at_end) {
                // A demuxer that cannot make sense of the bytes resyncs on the next read; one that keeps
                // failing is not going to recover.
                if (err != AVERROR_INVALIDDATA || ++r->invalid_reads > 1000) {
                    return cffmpeg_fail(r, CFFMPEG_READ_FAILED, "read failed", err);
                }
                r->corrupt++;
                continue;
            }
            // The end: flush what the decoder still holds (B-frames wait for their successors).
            r->draining = 1;
            avcodec_send_packet(r->codec, NULL);
            continue;
        }
        r->invalid_reads = 0;
        if (r->packet->stream_index != r->video_stream) {
            av_packet_unref(r->packet);
            continue;
        }
        err = avcodec_send_packet(r->codec, r->packet);
        av_packet_unref(r->packet);
        if (err < 0 && err != AVERROR(EAGAIN)) r->corrupt++;
    }
}

// The scaler for `format` at the frame's size into `width` × `height`, rebuilt when either changes.
static struct SwsContext *cffmpeg_scaler(struct SwsContext *cached, const AVFrame *frame, int width, int height,
                                         enum AVPixelFormat format) {
    enum AVPixelFormat source = frame->format;
    int full_range = frame->color_range == AVCOL_RANGE_JPEG;
    // The deprecated "J" formats (MJPEG) are full-range YUV by definition.
    switch (source) {
    case AV_PIX_FMT_YUVJ420P: source = AV_PIX_FMT_YUV420P; full_range = 1; break;
    case AV_PIX_FMT_YUVJ422P: source = AV_PIX_FMT_YUV422P; full_range = 1; break;
    case AV_PIX_FMT_YUVJ444P: source = AV_PIX_FMT_YUV444P; full_range = 1; break;
    case AV_PIX_FMT_YUVJ440P: source = AV_PIX_FMT_YUV440P; full_range = 1; break;
    default: break;
    }
    struct SwsContext *scaler = sws_getCachedContext(cached, frame->width, frame->height, source, width, height, format,
                                                     SWS_BILINEAR, NULL, NULL, NULL);
    if (!scaler) return NULL;
    int colorspace = frame->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
    const int *table = sws_getCoefficients(colorspace);
    // Luma comes out full range (0-255), as a JPEG decoder gives it, whatever range the stream uses.
    sws_setColorspaceDetails(scaler, table, full_range, table, 1, 0, 1 << 16, 1 << 16);
    return scaler;
}

// Whether `format` keeps 8-bit luma, one byte a sample, alone in plane 0 (planar and semi-planar YUV, grey):
// then that plane is the luma picture itself.
static int cffmpeg_luma_plane_first(int format) {
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)format);
    if (!desc || desc->nb_components < 1) return 0;
    if (desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL |
                       AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_BAYER)) return 0;
    const AVComponentDescriptor *y = &desc->comp[0];
    if (y->plane != 0 || y->depth != 8 || y->step != 1 || y->shift != 0 || y->offset != 0) return 0;
    for (int i = 1; i < desc->nb_components; i++) {
        if (desc->comp[i].plane == 0) return 0;  // packed: luma shares its plane
    }
    return 1;
}

// The scaler of a frame's luma plane, read as grey, into full-range grey `width` × `height`.
static struct SwsContext *cffmpeg_luma_scaler(struct SwsContext *cached, const AVFrame *frame, int width,
                                              int height) {
    int full_range = frame->color_range == AVCOL_RANGE_JPEG;
    switch (frame->format) {
    case AV_PIX_FMT_YUVJ420P: case AV_PIX_FMT_YUVJ422P: case AV_PIX_FMT_YUVJ444P: case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
        full_range = 1;
        break;
    default: break;
    }
    struct SwsContext *scaler = sws_getCachedContext(cached, frame->width, frame->height, AV_PIX_FMT_GRAY8, width,
                                                     height, AV_PIX_FMT_GRAY8, SWS_BILINEAR, NULL, NULL, NULL);
    if (!scaler) return NULL;
    const int *table = sws_getCoefficients(SWS_CS_DEFAULT);
    sws_setColorspaceDetails(scaler, table, full_range, table, 1, 0, 1 << 16, 1 << 16);
    return scaler;
}

// Rotates a `width` × `height` picture of `channels` bytes per pixel clockwise by `degrees` into `out`.
static void cffmpeg_rotate(const uint8_t *in, int width, int height, int channels, int degrees, uint8_t *out) {
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            int ox, oy, ow;
            if (degrees == 90) {
                ox = height - 1 - y; oy = x; ow = height;
            } else if (degrees == 180) {
                ox = width - 1 - x; oy = height - 1 - y; ow = width;
            } else {
                ox = y; oy = width - 1 - x; ow = height;
            }
            memcpy(out + ((size_t)oy * ow + ox) * channels, in + ((size_t)y * width + x) * channels, channels);
        }
    }
}

static int cffmpeg_scale_into(CFFmpeg_Reader *r, struct SwsContext **cache, enum AVPixelFormat format, int channels,
                              int width, int height, uint8_t *target) {
    // A rotated picture is scaled at its pre-rotation shape into a scratch buffer, then turned.
    int rotated = r->rotation != 0;
    int sw = (r->rotation == 90 || r->rotation == 270) ? height : width;
    int sh = (r->rotation == 90 || r->rotation == 270) ? width : height;
    size_t bytes = (size_t)width * height * channels;
    uint8_t *into = target;
    if (rotated) {
        if (r->rotate_capacity < bytes) {
            free(r->rotate_buffer);
            r->rotate_buffer = malloc(bytes);
            r->rotate_capacity = r->rotate_buffer ? bytes : 0;
            if (!r->rotate_buffer) return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot allocate a rotation buffer", 0);
        }
        into = r->rotate_buffer;
    }
    const AVFrame *frame = r->current;
    uint8_t *planes[4] = {into, NULL, NULL, NULL};
    int strides[4] = {sw * channels, 0, 0, 0};
    int rows;
    int resized = sw != frame->width || sh != frame->height;
    if (format == AV_PIX_FMT_GRAY8 && resized && cffmpeg_luma_plane_first(frame->format)) {
        // Luma alone: the Y plane is scaled as a grey picture, so no chroma sample is read. (swscale's
        // unscaled grey-to-grey copy would skip the range expansion: same size goes the whole way.)
        *cache = cffmpeg_luma_scaler(*cache, frame, sw, sh);
        if (!*cache) return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot create the scaler", 0);
        const uint8_t *luma[4] = {frame->data[0], NULL, NULL, NULL};
        int luma_stride[4] = {frame->linesize[0], 0, 0, 0};
        rows = sws_scale(*cache, luma, luma_stride, 0, frame->height, planes, strides);
    } else {
        *cache = cffmpeg_scaler(*cache, frame, sw, sh, format);
        if (!*cache) return cffmpeg_fail(r, CFFMPEG_NO_MEMORY, "cannot create the scaler", 0);
        rows = sws_scale(*cache, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, planes,
                         strides);
    }
    if (rows != sh) return cffmpeg_fail(r, CFFMPEG_MISUSE, "the scaler produced a short picture", 0);
    if (rotated) cffmpeg_rotate(into, sw, sh, channels, r->rotation, target);
    return CFFMPEG_OK;
}

int CFFmpeg_reader_convert(CFFmpeg_Reader *r, int width, int height, uint8_t *gray, uint8_t *rgb) {
    if (!r->current) return cffmpeg_fail(r, CFFMPEG_MISUSE, "conversion without a decoded frame", 0);
    if (width <= 0 || height <= 0 || (int64_t)width * height > r->max_pixels) {
        return cffmpeg_fail(r, CFFMPEG_TOO_LARGE, "the conversion size is out of range", 0);
    }
    if (gray) {
        int status = cffmpeg_scale_into(r, &r->gray_scaler, AV_PIX_FMT_GRAY8, 1, width, height, gray);
        if (status != CFFMPEG_OK) return status;
    }
    if (rgb) {
        int status = cffmpeg_scale_into(r, &r->rgb_scaler, AV_PIX_FMT_RGB24, 3, width, height, rgb);
        if (status != CFFMPEG_OK) return status;
    }
    return CFFMPEG_OK;
}

uint64_t CFFmpeg_reader_corrupt_count(const CFFmpeg_Reader *r) { return r->corrupt; }
const char *CFFmpeg_reader_hwaccel(const CFFmpeg_Reader *r) { return r->hwaccel; }
const char *CFFmpeg_reader_hwaccel_note(const CFFmpeg_Reader *r) { return r->hwaccel_note; }
const char *CFFmpeg_reader_message(const CFFmpeg_Reader *r) { return r->message; }

const char *CFFmpeg_reader_note(const CFFmpeg_Reader *r) { return r->note; }
int CFFmpeg_reader_failure_reason(const CFFmpeg_Reader *r) { return r->reason; }

const char *CFFmpeg_version(void) { return av_version_info(); }
const char *CFFmpeg_license(void) { return avcodec_license(); }
