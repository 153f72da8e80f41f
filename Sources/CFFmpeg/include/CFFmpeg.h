// CFFmpeg: FFmpeg's demuxers, decoders and swscale behind one opaque reader, so that every FFmpeg object
// (format, codec and scaler contexts, packets, frames, hardware devices) is created and freed in one C file.
#ifndef CFFMPEG_H
#define CFFMPEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque reader: one input (file, pipe or network stream), its chosen video stream and decoder.
typedef struct CFFmpeg_Reader CFFmpeg_Reader;

/// Status codes. A message for the last failure is in CFFmpeg_reader_message.
enum {
    CFFMPEG_OK = 0,
    /// The input ended (after the decoder was drained).
    CFFMPEG_END = 1,
    /// The input could not be opened: no such file, connection refused, authentication failed.
    CFFMPEG_CANNOT_OPEN = 2,
    /// The input was opened but is not a container FFmpeg recognises, or it has no decodable video stream.
    CFFMPEG_NOT_VIDEO = 3,
    /// No data arrived within the I/O timeout.
    CFFMPEG_TIMEOUT = 4,
    /// CFFmpeg_reader_interrupt was called.
    CFFMPEG_INTERRUPTED = 5,
    /// The stream declares or decodes to more pixels than the caller's cap; nothing was allocated for it.
    CFFMPEG_TOO_LARGE = 6,
    /// A read failed in the middle of the input (I/O error, a network stream that broke).
    CFFMPEG_READ_FAILED = 7,
    /// The call was made in the wrong state (a frame asked before open, a conversion without a frame).
    CFFMPEG_MISUSE = 8,
    /// Out of memory.
    CFFMPEG_NO_MEMORY = 9,
};

/// RTSP lower transport.
enum { CFFMPEG_TRANSPORT_TCP = 0, CFFMPEG_TRANSPORT_UDP = 1 };

/// Hardware decoding request. AUTO tries every device type the decoder supports, VAAPI only that one;
/// when none can be created the reader decodes in software and says why in CFFmpeg_reader_hwaccel_note.
enum { CFFMPEG_HWACCEL_NONE = 0, CFFMPEG_HWACCEL_AUTO = 1, CFFMPEG_HWACCEL_VAAPI = 2 };

typedef struct {
    /// CFFMPEG_TRANSPORT_*; used by rtsp:// and rtsps:// inputs only.
    int transport;
    /// Milliseconds a blocking open or read may wait for data before CFFMPEG_TIMEOUT; 0 waits for ever.
    int timeout_ms;
    /// CFFMPEG_HWACCEL_*.
    int hwaccel;
    /// Decoder threads; 0 lets FFmpeg choose, 1 decodes on the calling thread.
    int threads;
    /// Largest width × height accepted (declared by the stream or decoded); larger is CFFMPEG_TOO_LARGE.
    int64_t max_pixels;
    /// Protocols the input may use (FFmpeg's protocol_whitelist), e.g. "file,pipe" or "rtsp,rtp,tcp,udp".
    const char *_Nullable protocols;
    /// CFFmpeg_reader_probe only: stop after the input is open (for RTSP: after DESCRIBE, SETUP and PLAY were
    /// answered) without waiting for packets to tell the stream sizes.
    int headers_only;
    /// rtsps:// only: a PEM file of the certificates to trust for the camera (its CA, or its own self-signed
    /// certificate); NULL for the system's trust store. The camera's certificate must also name its host.
    const char *_Nullable tls_ca_file;
} CFFmpeg_Options;

/// Why opening a network input failed, for a fix hint.
enum {
    CFFMPEG_REASON_NONE = 0,
    /// The server answered 401: missing or wrong credentials.
    CFFMPEG_REASON_UNAUTHORIZED = 1,
    /// The server answered 403.
    CFFMPEG_REASON_FORBIDDEN = 2,
    /// The server answered 404: no stream at that path.
    CFFMPEG_REASON_NOT_FOUND = 3,
    /// Nothing listens at that host and port.
    CFFMPEG_REASON_REFUSED = 4,
    /// The host name does not resolve, or the network cannot reach it.
    CFFMPEG_REASON_UNREACHABLE = 5,
    /// Something else (see the message).
    CFFMPEG_REASON_OTHER = 6,
    /// rtsps://: the camera's certificate was refused (not trusted, expired, or not naming the host).
    CFFMPEG_REASON_UNTRUSTED = 7,
};

/// One stream of the opened input, as `sightline probe` lists it.
typedef struct {
    /// 0 video, 1 audio, 2 other (data, subtitles, attachments).
    int kind;
    /// Codec short name ("h264", "hevc", "aac"), NUL-terminated, cut to fit.
    char codec[32];
    int width;
    int height;
    /// Average frame rate as a fraction; 0/0 when unknown.
    int fps_num;
    int fps_den;
    /// Seconds; negative when unknown (live streams).
    double duration;
    /// Clockwise display rotation in degrees (0, 90, 180, 270) from the stream's display matrix.
    int rotation;
} CFFmpeg_StreamInfo;

/// The frame the reader decoded last.
typedef struct {
    /// Presentation time in seconds on the stream's time base; NaN when the stream gives none.
    double pts;
    /// Size as decoded (before the display rotation).
    int width;
    int height;
    /// Size after the display rotation (what CFFmpeg_reader_convert's output size is relative to).
    int display_width;
    int display_height;
} CFFmpeg_Frame;

CFFmpeg_Reader *_Nullable CFFmpeg_reader_create(void);
/// Frees everything the reader holds. NULL is allowed.
void CFFmpeg_reader_destroy(CFFmpeg_Reader *_Nullable reader);

/// Opens `url` (an FFmpeg URL: "file:PATH", "pipe:0", "rtsp://…"), reads the stream headers, picks the best
/// video stream and opens its decoder. On failure the reader holds nothing and may be opened again.
int CFFmpeg_reader_open(CFFmpeg_Reader *_Nonnull reader, const char *_Nonnull url,
                        const CFFmpeg_Options *_Nonnull options);
/// Opens `url` and reads its stream headers only (no decoder): for listing streams.
int CFFmpeg_reader_probe(CFFmpeg_Reader *_Nonnull reader, const char *_Nonnull url,
                         const CFFmpeg_Options *_Nonnull options);
/// Frees the input and decoder; the reader may be opened again.
void CFFmpeg_reader_close(CFFmpeg_Reader *_Nonnull reader);

int CFFmpeg_reader_stream_count(const CFFmpeg_Reader *_Nonnull reader);
int CFFmpeg_reader_stream_info(const CFFmpeg_Reader *_Nonnull reader, int index, CFFmpeg_StreamInfo *_Nonnull out);
/// Index of the video stream being decoded, -1 before a successful open.
int CFFmpeg_reader_video_stream(const CFFmpeg_Reader *_Nonnull reader);
/// The container's long format name ("QuickTime / MOV", "RTSP input"), "" before open.
const char *_Nonnull CFFmpeg_reader_format_name(const CFFmpeg_Reader *_Nonnull reader);
/// The container's duration in seconds, negative when unknown.
double CFFmpeg_reader_duration(const CFFmpeg_Reader *_Nonnull reader);

/// Decodes the next video frame. CFFMPEG_OK fills `out`; CFFMPEG_END once the input and decoder are drained.
/// Packets the decoder refuses and frames it flags as damaged are skipped and counted
/// (CFFmpeg_reader_corrupt_count); a compressed packet of the video stream is never skipped on purpose.
int CFFmpeg_reader_next_frame(CFFmpeg_Reader *_Nonnull reader, CFFmpeg_Frame *_Nonnull out);

/// Converts the last decoded frame, display rotation applied, to `width` × `height` luma (full range, 0–255)
/// into `gray` and/or packed RGB24 into `rgb` (either may be NULL). Sizes are checked against the cap;
/// `gray` must hold width*height bytes and `rgb` width*height*3.
int CFFmpeg_reader_convert(CFFmpeg_Reader *_Nonnull reader, int width, int height, uint8_t *_Nullable gray,
                           uint8_t *_Nullable rgb);

/// Damaged packets or frames skipped since open.
uint64_t CFFmpeg_reader_corrupt_count(const CFFmpeg_Reader *_Nonnull reader);
/// The hardware device type in use ("vaapi"), or "" when decoding in software.
const char *_Nonnull CFFmpeg_reader_hwaccel(const CFFmpeg_Reader *_Nonnull reader);
/// Why a requested hardware decoder is not used ("" when none was requested or it works).
const char *_Nonnull CFFmpeg_reader_hwaccel_note(const CFFmpeg_Reader *_Nonnull reader);
/// CFFMPEG_REASON_* of the last failed open.
int CFFmpeg_reader_failure_reason(const CFFmpeg_Reader *_Nonnull reader);
/// Message of the last failure ("" when none).
const char *_Nonnull CFFmpeg_reader_message(const CFFmpeg_Reader *_Nonnull reader);
/// FFmpeg's first error line while the headers of a local file were read ("Picture size 30000x30000 is
/// invalid"), or "". Always empty for network inputs.
const char *_Nonnull CFFmpeg_reader_note(const CFFmpeg_Reader *_Nonnull reader);

/// Makes a blocked or later open/next_frame return CFFMPEG_INTERRUPTED soon. Thread-safe; final for the
/// reader (an open does not clear it: a stop that races an open must still end it).
void CFFmpeg_reader_interrupt(CFFmpeg_Reader *_Nonnull reader);

/// libavcodec's version string and licence ("LGPL version 2.1 or later", "GPL version 2 or later").
const char *_Nonnull CFFmpeg_version(void);
const char *_Nonnull CFFmpeg_license(void);

#ifdef __cplusplus
}
#endif

#endif
