/// Where a camera's frames come from, as written in the configuration (`source:`) and on the command line:
/// `v4l2:/dev/video0`, `mjpeg:PATH`, `avi:PATH`, `jpegdir:DIR`, `y4m:PATH`, `video:PATH` (any file FFmpeg's
/// libraries demux: MP4, MKV, MPEG-TS…), with `-` as PATH for standard input with the stream formats (`mjpeg:-`,
/// `y4m:-`, `video:-`), and network cameras as their URL (`rtsp://HOST/PATH`, `rtsps://…`).
///
/// An RTSP URL may carry credentials (`rtsp://user:pass@host/…`): `description` and `path` never show them
/// (`CredentialRedaction`); only `url` does, for the one place that connects.
///
/// The one parser and validator of source strings: the configuration loader, the CLI and the daemon all
/// read them through `init(parsing:)`. Kinds are lower-case (as every other value of the configuration);
/// `V4L2:/dev/video0` is refused with a suggestion. Nothing is opened here: a camera may be plugged in later.
public enum SourceSpec: Sendable, Hashable, CustomStringConvertible {
    /// A V4L2 camera device.
    case v4l2(device: String)
    /// A raw MJPEG stream (JPEGs back to back).
    case mjpeg(path: String)
    /// A RIFF AVI file with Motion JPEG video.
    case avi(path: String)
    /// A directory of JPEG files, played in natural name order.
    case jpegDirectory(path: String)
    /// A YUV4MPEG2 stream.
    case y4m(path: String)
    /// Any video file or pipe FFmpeg's libraries can demux and decode (MP4, MOV, MKV, WebM, MPEG-TS, AVI…).
    case video(path: String)
    /// A network camera: `rtsp://` or `rtsps://` URL as given (credentials included).
    case rtsp(url: String)

    /// The kinds a source may name, by their `KIND` word.
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case v4l2, mjpeg, avi, jpegdir, y4m, video, rtsp, rtsps

        /// Whether the source is recorded footage rather than a live camera.
        public var isFile: Bool { !isLive }
        /// Whether the source is a live camera (V4L2 or network), reopened with backoff when it goes away.
        public var isLive: Bool { self == .v4l2 || isNetwork }
        /// Whether the source is a network camera (`rtsp://`, `rtsps://`).
        public var isNetwork: Bool { self == .rtsp || self == .rtsps }
        /// Whether FFmpeg's libraries read and decode it (the frames come out decoded, at processing size).
        public var isDecodedBySource: Bool { self == .video || isNetwork }
        /// Whether the format records no frame rate, so `fps` sets the playback rate.
        public var needsFileRate: Bool { self == .jpegdir || self == .mjpeg }
        /// Whether `-` (standard input) is a valid path for this kind.
        public var readsStandardInput: Bool { self == .y4m || self == .mjpeg || self == .video }

        public var description: String { rawValue }
    }

    /// Why a source string was refused; the description completes "source: …".
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// No `KIND:` prefix.
        case notKindPath(String)
        /// A kind that is not one of `Kind`.
        case unknownKind(String)
        /// Nothing after `KIND:`.
        case emptyPath(String)
        /// `-` given to a kind that cannot read standard input.
        case standardInput(String)
        /// A V4L2 device that is not an absolute path.
        case relativeDevice(String)
        /// An `rtsp://` URL without a host, or with spaces or control characters (shown redacted).
        case badURL(String)

        public var description: String {
            let kinds = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            switch self {
            case .notKindPath(let text):
                var message = "must be KIND:PATH with KIND one of \(kinds), got '\(text)'"
                if text.hasPrefix("/dev/") { message += "; did you mean 'v4l2:\(text)'?" }
                return message
            case .unknownKind(let kind):
                var message = "unknown source kind '\(kind)'; expected one of \(kinds)"
                if let guess = Suggestion.closest(to: kind, among: Kind.allCases.map(\.rawValue)) {
                    message += "; did you mean '\(guess)'?"
                }
                return message
            case .emptyPath(let text):
                return "'\(text)' has no path after '\(text.prefix { $0 != ":" }):'"
            case .standardInput(let text):
                return "only y4m, mjpeg and video can read standard input ('y4m:-', 'mjpeg:-', 'video:-'), "
                    + "got '\(text)'"
            case .badURL(let text):
                return "a network camera needs a URL such as rtsp://HOST[:PORT]/PATH without spaces, got '\(text)'"
            case .relativeDevice(let text):
                return "v4l2 needs a device path such as v4l2:/dev/video0, got '\(text)'"
            }
        }
    }

    /// The rate footage that records none (jpegdir, mjpeg, Y4M without `F`) is played at when no `fps` is
    /// given: 25 frames per second, the PAL video rate and what most MJPEG cameras and `ffmpeg` default to.
    public static let defaultFootageFPS = 25.0

    /// Parses `KIND:PATH` (the first colon separates them; the path may hold more).
    public init(parsing text: String) throws(Problem) {
        if text.hasPrefix("rtsp://") || text.hasPrefix("rtsps://") {
            guard CredentialRedaction.host(ofURL: text) != nil,
                  text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0.isASCII })
            else { throw .badURL(CredentialRedaction.redact(text)) }
            self = .rtsp(url: text)
            return
        }
        guard let colon = text.firstIndex(of: ":") else { throw .notKindPath(text) }
        guard let kind = Kind(rawValue: String(text[..<colon])) else { throw .unknownKind(String(text[..<colon])) }
        let path = String(text[text.index(after: colon)...])
        guard !path.isEmpty else { throw .emptyPath(text) }
        if path == "-" && !kind.readsStandardInput { throw .standardInput(text) }
        switch kind {
        case .v4l2:
            guard path.hasPrefix("/") else { throw .relativeDevice(text) }
            self = .v4l2(device: path)
        case .mjpeg: self = .mjpeg(path: path)
        case .avi: self = .avi(path: path)
        case .jpegdir: self = .jpegDirectory(path: path)
        case .y4m: self = .y4m(path: path)
        case .video: self = .video(path: path)
        case .rtsp, .rtsps: throw .badURL(CredentialRedaction.redact(text))
        }
    }

    public var kind: Kind {
        switch self {
        case .v4l2: return .v4l2
        case .mjpeg: return .mjpeg
        case .avi: return .avi
        case .jpegDirectory: return .jpegdir
        case .y4m: return .y4m
        case .video: return .video
        case .rtsp(let url): return url.hasPrefix("rtsps:") ? .rtsps : .rtsp
        }
    }

    /// The device or file path (`-` for standard input); a network camera's URL without its credentials.
    public var path: String {
        switch self {
        case .v4l2(let path), .mjpeg(let path), .avi(let path), .jpegDirectory(let path), .y4m(let path),
            .video(let path):
            return path
        case .rtsp(let url): return CredentialRedaction.redact(url)
        }
    }

    /// The URL to connect to, credentials included: for the network source only, never for a log line.
    public var url: String? {
        if case .rtsp(let url) = self { return url }
        return nil
    }

    /// The `KIND:PATH` form, which `init(parsing:)` reads back; a network camera's URL with its credentials
    /// replaced by `***` (safe for logs, metrics and reports).
    public var description: String { kind.isNetwork ? path : "\(kind.rawValue):\(path)" }

    /// Whether the source is recorded footage (finite, replayable) rather than a live camera.
    public var isRecorded: Bool { kind.isFile }

    /// Whether the source reads standard input (`y4m:-`, `mjpeg:-`).
    public var isStandardInput: Bool { kind.readsStandardInput && path == "-" }
}

/// How recorded footage is played back (the configuration's `replay` key). Cameras ignore it.
public enum ReplayPacing: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// `realtime`: frames are delivered at recorded speed, each waiting until its pts (counted from the first
    /// frame) has come, like a live camera. The daemon drops the oldest queued frame when processing lags.
    case realtime
    /// `fast`: frames are delivered as fast as they are taken (tests, evaluations, back-filling). The daemon
    /// then waits for queue room instead of dropping, so every frame is processed.
    case asFastAsPossible = "fast"

    public var description: String { rawValue }
}
