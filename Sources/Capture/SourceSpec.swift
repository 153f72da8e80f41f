import SightlineCore

/// Where frames come from, as written in the configuration and on the command line:
/// `v4l2:/dev/video0`, `mjpeg:PATH`, `avi:PATH`, `jpegdir:DIR`, `y4m:PATH`, and `-` as PATH for
/// standard input with the stream formats (`mjpeg:-`, `y4m:-`), as the configuration accepts.
public enum SourceSpec: Sendable, Equatable, CustomStringConvertible {
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

    /// Parses `kind:path`. Throws `CaptureError.badSourceSpec(text)` (whose description lists the
    /// accepted forms) for a missing or unknown kind, an empty path, `-` for other kinds than `mjpeg`
    /// and `y4m`, or a camera path that is not absolute.
    public init(parsing text: String) throws(CaptureError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw .badSourceSpec(text)
        }
        let kind = String(text[..<colon])
        let path = String(text[text.index(after: colon)...])
        guard !path.isEmpty else { throw .badSourceSpec(text) }
        switch kind.lowercased() {
        case "v4l2":
            guard path.hasPrefix("/") else { throw .badSourceSpec(text) }
            self = .v4l2(device: path)
        case "mjpeg": self = .mjpeg(path: path)
        case "avi":
            guard path != "-" else { throw .badSourceSpec(text) }
            self = .avi(path: path)
        case "y4m": self = .y4m(path: path)
        case "jpegdir":
            guard path != "-" else { throw .badSourceSpec(text) }
            self = .jpegDirectory(path: path)
        default:
            throw .badSourceSpec(text)
        }
    }

    /// The `kind:path` form, which `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .v4l2(let device): return "v4l2:\(device)"
        case .mjpeg(let path): return "mjpeg:\(path)"
        case .avi(let path): return "avi:\(path)"
        case .jpegDirectory(let path): return "jpegdir:\(path)"
        case .y4m(let path): return "y4m:\(path)"
        }
    }

    /// Whether the source is recorded footage (finite, replayable) rather than a live camera.
    public var isRecorded: Bool {
        if case .v4l2 = self { return false }
        return true
    }
}
