import Logging
import SightlineCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Video files, pipes and network cameras through FFmpeg's libraries (`video:PATH`, `video:-`, `rtsp://…`,
/// `rtsps://…`): whatever the linked libavformat demuxes and libavcodec decodes (H.264, H.265, MJPEG, MPEG-4,
/// VP9, AV1 where present).
///
/// Unlike the other sources it decodes: an inter-coded stream cannot skip a compressed frame, so every packet
/// is decoded and each picture is converted once (swscale) to luma — and RGB when `options.color` — at
/// `options.processingWidth`, and delivered as `.decoded`. When processing falls behind, the pipeline's queue
/// drops whole decoded frames and counts them. The stream's display rotation is applied.
///
/// `pts` is the stream's presentation time counted from the first frame (plus earlier passes when looping);
/// files are paced by it in `.realtime` and delivered flat out in `.asFastAsPossible`; network cameras are
/// never paced. Damaged packets and frames are skipped and counted in `stats.corrupt`; a stall longer than
/// `deviceTimeoutSeconds` throws `CaptureError.stalled`, and a network stream that ends or breaks throws
/// `deviceLost` (both transient: `ReconnectingSource` reopens). Credentials in the URL never reach
/// `description` or an error. Not thread-safe but for `interrupt()`.
public final class VideoSource: InterruptibleSource, @unchecked Sendable {
    public let spec: SourceSpec
    public let options: SourceOptions
    public var description: String { spec.description }
    public var stats: SourceStats {
        var s = baseStats
        s.frames = timeline.seq
        s.corrupt += reader.corruptCount
        return s
    }

    /// Streams of the opened input (after `open`).
    public var streams: [FFmpegReader.Stream] { reader.streams }
    /// The hardware decoder in use, nil in software.
    public var hardwareDecoder: String? { reader.hardwareDecoder }

    private let reader = FFmpegReader()
    private let logger: Logger
    private var timeline: ReplayTimeline
    private var baseStats = SourceStats()
    private var isOpen = false
    private var atEnd = false
    private var firstPTS: Double?
    private var lastPTS: Double?
    private var passStartPTS = 0.0
    private var passFrames = 0
    private var frameInterval = 1 / SourceSpec.defaultFootageFPS

    /// Sources that already said they fell back to software, by description: one line per camera, not per
    /// reconnection.
    private static let fallbackReported = Mutex<Set<String>>([])

    public init(spec: SourceSpec, options: SourceOptions = SourceOptions(),
                logger: Logger = Logger(label: "sightline.capture.video")) {
        precondition(spec.kind.isDecodedBySource, "VideoSource reads video: and rtsp:// sources only")
        self.spec = spec
        self.options = options
        self.timeline = ReplayTimeline(pacing: spec.kind.isNetwork ? .asFastAsPossible : options.pacing)
        var logger = logger
        logger[metadataKey: "source"] = "\(spec.description)"
        self.logger = logger
    }

    public func open() throws {
        close()
        timeline = ReplayTimeline(pacing: spec.kind.isNetwork ? .asFastAsPossible : options.pacing)
        baseStats = SourceStats()
        firstPTS = nil
        lastPTS = nil
        passStartPTS = 0
        passFrames = 0
        atEnd = false
        try openReader()
        isOpen = true
    }

    public func next() throws -> CapturedFrame? {
        guard isOpen else {
            precondition(atEnd, "next() on a source that is not open")
            return nil
        }
        while true {
            let decoded: FFmpegReader.DecodedFrame?
            do {
                decoded = try reader.nextFrame()
            } catch {
                if error.kind == .interrupted { return nil }
                throw captureError(error)
            }
            guard let decoded else {
                if spec.kind.isNetwork { throw CaptureError.deviceLost(path: spec.path, reason: "the stream ended") }
                if options.loop && !spec.isStandardInput && passFrames > 0 {
                    try startNextPass()
                    continue
                }
                atEnd = true
                close()
                return nil
            }
            let (width, height) = Self.outputSize(width: decoded.width, height: decoded.height,
                                                  processingWidth: options.processingWidth)
            let planes: (Image, Image?)
            do {
                planes = try reader.convert(width: width, height: height, color: options.color,
                                            maxPixels: options.maxPixels)
            } catch {
                throw captureError(error)
            }
            let pts = passStartPTS + relativePTS(decoded.pts)
            passFrames += 1
            let picture = DecodedPicture(gray: planes.0, rgb: planes.1, sourceWidth: decoded.width,
                                         sourceHeight: decoded.height)
            return timeline.deliver(pts: pts, payload: .decoded(picture))
        }
    }

    public func close() {
        if isOpen { baseStats.corrupt += reader.corruptCount }
        reader.close()
        isOpen = false
    }

    public func interrupt() { reader.interrupt() }

    /// The processing size of a `width` × `height` picture: `processingWidth` wide with the aspect ratio kept
    /// (height rounded to the nearest pixel, at least 1), or the picture's own size when `processingWidth` is 0
    /// or not smaller.
    public static func outputSize(width: Int, height: Int, processingWidth: Int) -> (width: Int, height: Int) {
        guard processingWidth > 0, processingWidth < width, width > 0 else { return (width, height) }
        // width and height are at most the pixel cap (8192² by default), so the product cannot overflow.
        let (scaled, overflow) = height.multipliedReportingOverflow(by: processingWidth)
        guard !overflow else { return (width, height) }
        return (processingWidth, max(1, (scaled + width / 2) / width))
    }

    // MARK: private

    private func openReader() throws {
        let (url, readerOptions) = try Self.readerSetup(spec, options: options)
        do {
            try reader.open(url: url, options: readerOptions)
        } catch {
            throw captureError(error)
        }
        if let rate = reader.videoStreamIndex.flatMap({ reader.streams[$0].framesPerSecond }), rate > 0, rate < 1000 {
            frameInterval = 1 / rate
        } else {
            frameInterval = 1 / (options.fps ?? SourceSpec.defaultFootageFPS)
        }
        if let reason = reader.hardwareFallbackReason, options.hardwareDecoding != .none {
            let first = Self.fallbackReported.withLock { $0.insert(spec.description).inserted }
            if first {
                logger.warning("hardware decoding unavailable, decoding in software",
                               metadata: ["hwaccel": "\(options.hardwareDecoding)", "reason": "\(reason)"])
            }
        }
    }

    /// pts relative to the first frame of the pass; a frame without one comes one frame interval after the last.
    private func relativePTS(_ pts: Double?) -> Double {
        let value: Double
        if let pts, pts.isFinite {
            value = pts
        } else {
            value = (lastPTS ?? firstPTS ?? 0) + (lastPTS == nil ? 0 : frameInterval)
        }
        let first = firstPTS ?? value
        firstPTS = first
        lastPTS = value
        return max(value - first, 0)
    }

    private func startNextPass() throws {
        passStartPTS += (lastPTS.map { $0 - (firstPTS ?? $0) } ?? 0) + frameInterval
        baseStats.corrupt += reader.corruptCount
        firstPTS = nil
        lastPTS = nil
        passFrames = 0
        reader.close()
        isOpen = false
        try openReader()
        isOpen = true
    }

    /// The FFmpeg URL and reader options for `spec`: a file as `file:PATH` (never another protocol, whatever
    /// the path says), standard input as `pipe:0`, a network camera with its password file read and its
    /// transport, timeout and protocols set.
    static func readerSetup(_ spec: SourceSpec, options: SourceOptions) throws -> (String, FFmpegReader.Options) {
        var readerOptions = FFmpegReader.Options()
        readerOptions.hardwareDecoding = options.hardwareDecoding
        readerOptions.maxPixels = options.maxPixels
        switch spec {
        case .video(let path):
            return (path == "-" ? "pipe:0" : "file:" + path, readerOptions)
        case .rtsp(let given):
            readerOptions.transport = options.transport
            readerOptions.timeoutSeconds = options.deviceTimeoutSeconds
            readerOptions.protocols = networkProtocols
            readerOptions.tlsCAFile = options.tlsCAFile
            return (try connectionURL(given, passwordFile: options.passwordFile, description: spec.path),
                    readerOptions)
        default:
            preconditionFailure("not a video source")
        }
    }

    /// The FFmpeg protocols a network camera may use (nothing that reads local files).
    static let networkProtocols = "rtsp,rtsps,rtp,srtp,tcp,udp,tls,crypto,httpproxy"

    private func captureError(_ failure: FFmpegReader.Failure) -> CaptureError {
        Self.captureError(failure, spec: spec, timeout: options.deviceTimeoutSeconds)
    }

    static func captureError(_ failure: FFmpegReader.Failure, spec: SourceSpec, timeout: Double) -> CaptureError {
        let path = spec.path
        switch failure.kind {
        case .cannotOpen: return .cannotOpen(path: path, reason: failure.message)
        case .notVideo: return .badFormat(path: path, reason: failure.message)
        case .timeout: return .stalled(path: path, seconds: timeout)
        case .interrupted: return .deviceLost(path: path, reason: "interrupted")
        case .tooLarge: return .unsupported(path: path, reason: failure.message)
        case .readFailed:
            return spec.kind.isNetwork
                ? .deviceLost(path: path, reason: failure.message) : .badFormat(path: path, reason: failure.message)
        case .noMemory, .misuse: return .system(call: "ffmpeg", errno: 0, message: failure.message)
        }
    }

    /// `url`, with the password of `passwordFile` (its first line; the file at most 4 KiB) put in for the URL's user.
    static func connectionURL(_ url: String, passwordFile: String?, description: String) throws -> String {
        guard let passwordFile else { return url }
        guard let user = CredentialRedaction.userInfo(ofURL: url)?.user, !user.isEmpty else {
            throw CaptureError.cannotOpen(
                path: description, reason: "password_file needs a user in the URL (rtsp://USER@HOST/…)")
        }
        let content: [UInt8]?
        do {
            content = try FileInput.readWhole(passwordFile, limit: 4096)
        } catch {
            throw CaptureError.cannotOpen(path: description, reason: "cannot read the password file \(passwordFile)")
        }
        guard let bytes = content else {
            throw CaptureError.cannotOpen(path: description, reason: "the password file \(passwordFile) is over 4 KiB")
        }
        let line = bytes.prefix { $0 != 10 && $0 != 13 }
        guard !line.isEmpty else {
            throw CaptureError.cannotOpen(path: description, reason: "the password file \(passwordFile) is empty")
        }
        return CredentialRedaction.url(url, withUser: user, password: String(decoding: line, as: UTF8.self))
    }
}
