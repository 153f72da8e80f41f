internal import CFFmpeg
import SightlineCore

/// The one owner of FFmpeg objects in Sightline: a `CFFmpeg_Reader` (input, demuxer, decoder, scalers,
/// hardware device), created in `init` and freed in `deinit`. Nothing else holds an FFmpeg pointer.
///
/// Blocking and single-thread like a frame source: `open`, `nextFrame`, `convert` and `close` belong to one
/// thread; only `interrupt()` may come from another (an atomic flag the C side's interrupt callback reads).
public final class FFmpegReader: @unchecked Sendable {
    /// How to open an input.
    public struct Options: Sendable, Equatable {
        public var transport: RTSPTransport = .tcp
        /// A blocking open or read waits at most this long for data; nil waits for ever (files).
        public var timeoutSeconds: Double?
        public var hardwareDecoding: HardwareDecoding = .none
        /// Decoder threads; 0 lets FFmpeg choose. One per camera by default: a box runs several cameras.
        public var threads: Int = 1
        /// Largest width × height accepted.
        public var maxPixels: Int = 8192 * 8192
        /// FFmpeg protocols the input may use: files and pipes only unless a network URL is opened.
        public var protocols: String = "file,pipe"
        /// `probe` only: stop once the input is open (RTSP: DESCRIBE, SETUP and PLAY answered).
        public var headersOnly = false
        /// `rtsps://` only: a PEM file of the certificates to trust for the camera; nil trusts the system's store.
        public var tlsCAFile: String?

        public init() {}
    }

    /// Why a call failed; `message` is FFmpeg's reason (it never holds the URL).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            case cannotOpen, notVideo, timeout, interrupted, tooLarge, readFailed, misuse, noMemory
        }

        /// Why a network input did not open, for a fix hint.
        public enum Reason: Sendable, Equatable {
            case unauthorized, forbidden, notFound, refused, unreachable, untrustedCertificate, other
        }

        public var kind: Kind
        public var message: String
        public var reason: Reason?
        public var description: String { message }
    }

    /// One stream of the input, as `sightline probe` lists it.
    public struct Stream: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable { case video, audio, other }
        public var kind: Kind
        public var codec: String
        public var width: Int
        public var height: Int
        /// Average frame rate; nil when the stream does not say.
        public var framesPerSecond: Double?
        /// Seconds; nil when unknown (live streams).
        public var duration: Double?
        /// Clockwise display rotation in degrees (0, 90, 180, 270).
        public var rotation: Int
    }

    /// The frame decoded last (its pixels stay inside the reader until the next `nextFrame`).
    public struct DecodedFrame: Sendable, Equatable {
        /// Seconds on the stream's time base; nil when the stream gives none.
        public var pts: Double?
        /// Size after the display rotation.
        public var width: Int
        public var height: Int
    }

    private let handle: OpaquePointer

    public init() {
        guard let handle = CFFmpeg_reader_create() else { fatalError("out of memory creating an FFmpeg reader") }
        self.handle = handle
    }

    deinit { CFFmpeg_reader_destroy(handle) }

    /// Opens `url` (`file:PATH`, `pipe:0`, `rtsp://…`) and the decoder of its best video stream.
    public func open(url: String, options: Options) throws(Failure) {
        try call(options) { CFFmpeg_reader_open(handle, url, $0) }
    }

    /// Opens `url` and reads its stream headers only, for `streams`.
    public func probe(url: String, options: Options) throws(Failure) {
        try call(options) { CFFmpeg_reader_probe(handle, url, $0) }
    }

    /// Frees the input and decoder; `open` may be called again.
    public func close() { CFFmpeg_reader_close(handle) }

    /// Makes a blocked or later `open`/`nextFrame` fail with `.interrupted` soon. Thread-safe, and final: a
    /// reader once interrupted never opens again (an interrupt just before an open is not lost).
    public func interrupt() { CFFmpeg_reader_interrupt(handle) }

    public var streams: [Stream] {
        (0..<Int(CFFmpeg_reader_stream_count(handle))).compactMap { index in
            var info = CFFmpeg_StreamInfo()
            guard CFFmpeg_reader_stream_info(handle, Int32(index), &info) == 0 else { return nil }
            let codec = withUnsafeBytes(of: info.codec) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let fps = info.fps_num > 0 && info.fps_den > 0 ? Double(info.fps_num) / Double(info.fps_den) : nil
            return Stream(kind: info.kind == 0 ? .video : info.kind == 1 ? .audio : .other, codec: codec,
                          width: Int(info.width), height: Int(info.height), framesPerSecond: fps,
                          duration: info.duration >= 0 ? info.duration : nil, rotation: Int(info.rotation))
        }
    }

    /// Index into `streams` of the stream being decoded; nil before `open`.
    public var videoStreamIndex: Int? {
        let index = CFFmpeg_reader_video_stream(handle)
        return index >= 0 ? Int(index) : nil
    }

    /// The container's name ("QuickTime / MOV", "RTSP input").
    public var formatName: String { String(cString: CFFmpeg_reader_format_name(handle)) }

    /// The container's duration in seconds; nil when unknown.
    public var duration: Double? {
        let seconds = CFFmpeg_reader_duration(handle)
        return seconds >= 0 ? seconds : nil
    }

    /// FFmpeg's first error line while a local file's headers were read ("Picture size 30000x30000 is
    /// invalid"); nil when it logged none, and always for network inputs (their lines may quote the URL).
    public var note: String? { nonEmpty(CFFmpeg_reader_note(handle)) }

    /// Damaged packets and frames skipped since `open`.
    public var corruptCount: UInt64 { CFFmpeg_reader_corrupt_count(handle) }

    /// The hardware device decoding ("vaapi"); nil in software.
    public var hardwareDecoder: String? { nonEmpty(CFFmpeg_reader_hwaccel(handle)) }

    /// Why a requested hardware decoder is not used; nil when none was asked for or it works.
    public var hardwareFallbackReason: String? { nonEmpty(CFFmpeg_reader_hwaccel_note(handle)) }

    /// Decodes the next frame; nil at the end of the input (after the decoder's delayed frames).
    public func nextFrame() throws(Failure) -> DecodedFrame? {
        var frame = CFFmpeg_Frame()
        let status = CFFmpeg_reader_next_frame(handle, &frame)
        if status == Int32(CFFMPEG_END) { return nil }
        try check(status)
        return DecodedFrame(pts: frame.pts.isNaN ? nil : frame.pts, width: Int(frame.display_width),
                            height: Int(frame.display_height))
    }

    /// The last decoded frame at `width` × `height`: luma (full range) and, when `color`, packed RGB.
    /// One swscale pass per plane; the display rotation is applied.
    public func convert(width: Int, height: Int, color: Bool, maxPixels: Int) throws(Failure) -> (Image, Image?) {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, area <= maxPixels, let w = Int32(exactly: width),
              let h = Int32(exactly: height)
        else { throw Failure(kind: .tooLarge, message: "a \(width)×\(height) picture is larger than allowed") }
        var status: Int32 = 0
        let gray = [UInt8](unsafeUninitializedCapacity: area) { buffer, count in
            status = CFFmpeg_reader_convert(handle, w, h, buffer.baseAddress, nil)
            count = area
        }
        try check(status)
        guard color else { return (Image(width: width, height: height, channels: 1, pixels: gray), nil) }
        let rgb = [UInt8](unsafeUninitializedCapacity: area * 3) { buffer, count in
            status = CFFmpeg_reader_convert(handle, w, h, nil, buffer.baseAddress)
            count = area * 3
        }
        try check(status)
        return (Image(width: width, height: height, channels: 1, pixels: gray),
                Image(width: width, height: height, channels: 3, pixels: rgb))
    }

    /// FFmpeg's version ("5.1.9-0+deb12u1") and the licence libavcodec was built under.
    public static var version: String { String(cString: CFFmpeg_version()) }
    public static var license: String { String(cString: CFFmpeg_license()) }

    private func call(_ options: Options, _ body: (UnsafePointer<CFFmpeg_Options>) -> Int32) throws(Failure) {
        var c = CFFmpeg_Options()
        c.transport = Int32(options.transport == .udp ? CFFMPEG_TRANSPORT_UDP : CFFMPEG_TRANSPORT_TCP)
        if let seconds = options.timeoutSeconds, seconds.isFinite {
            c.timeout_ms = Int32(min(max(seconds * 1000, 1), 86_400_000))
        }
        switch options.hardwareDecoding {
        case .none: c.hwaccel = Int32(CFFMPEG_HWACCEL_NONE)
        case .auto: c.hwaccel = Int32(CFFMPEG_HWACCEL_AUTO)
        case .vaapi: c.hwaccel = Int32(CFFMPEG_HWACCEL_VAAPI)
        }
        c.threads = Int32(clamping: options.threads)
        c.max_pixels = Int64(options.maxPixels)
        c.headers_only = options.headersOnly ? 1 : 0
        let status = options.protocols.withCString { protocols in
            c.protocols = protocols
            guard let caFile = options.tlsCAFile else { return withUnsafePointer(to: &c) { body($0) } }
            return caFile.withCString { caFile in
                c.tls_ca_file = caFile
                return withUnsafePointer(to: &c) { body($0) }
            }
        }
        try check(status)
    }

    private func check(_ status: Int32) throws(Failure) {
        let kind: Failure.Kind
        switch status {
        case Int32(CFFMPEG_OK): return
        case Int32(CFFMPEG_CANNOT_OPEN): kind = .cannotOpen
        case Int32(CFFMPEG_NOT_VIDEO): kind = .notVideo
        case Int32(CFFMPEG_TIMEOUT): kind = .timeout
        case Int32(CFFMPEG_INTERRUPTED): kind = .interrupted
        case Int32(CFFMPEG_TOO_LARGE): kind = .tooLarge
        case Int32(CFFMPEG_READ_FAILED), Int32(CFFMPEG_END): kind = .readFailed
        case Int32(CFFMPEG_NO_MEMORY): kind = .noMemory
        default: kind = .misuse
        }
        let reason: Failure.Reason?
        switch CFFmpeg_reader_failure_reason(handle) {
        case Int32(CFFMPEG_REASON_UNAUTHORIZED): reason = .unauthorized
        case Int32(CFFMPEG_REASON_FORBIDDEN): reason = .forbidden
        case Int32(CFFMPEG_REASON_NOT_FOUND): reason = .notFound
        case Int32(CFFMPEG_REASON_REFUSED): reason = .refused
        case Int32(CFFMPEG_REASON_UNREACHABLE): reason = .unreachable
        case Int32(CFFMPEG_REASON_UNTRUSTED): reason = .untrustedCertificate
        case Int32(CFFMPEG_REASON_OTHER): reason = .other
        default: reason = nil
        }
        let message = CredentialRedaction.redact(String(cString: CFFmpeg_reader_message(handle)))
        throw Failure(kind: kind, message: message, reason: reason)
    }

    private func nonEmpty(_ text: UnsafePointer<CChar>) -> String? {
        let string = String(cString: text)
        return string.isEmpty ? nil : string
    }
}
