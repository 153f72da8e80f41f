/// Why a capture source failed. Each case says what the operator can act on.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The source string is not `kind:path` with a known kind.
    case badSourceSpec(String)
    /// The file or device could not be opened.
    case cannotOpen(path: String, reason: String)
    /// The file is not of the expected format (bad magic, header).
    case badFormat(path: String, reason: String)
    /// The device disappeared (ENODEV/EIO): the camera was unplugged.
    case deviceLost(path: String, reason: String)
    /// No frame arrived within the device timeout.
    case stalled(path: String, seconds: Double)
    /// The device cannot do what was asked (no usable format, too few buffers).
    case unsupported(path: String, reason: String)
    /// A system call failed in a way that is not one of the above.
    case system(call: String, errno: Int32, message: String)

    public var description: String {
        switch self {
        case .badSourceSpec(let spec):
            return "bad source '\(CredentialRedaction.redact(spec))': expected v4l2:DEV, mjpeg:PATH, avi:PATH, "
                + "jpegdir:DIR, y4m:PATH, y4m:-, video:PATH, video:- or rtsp://HOST/PATH"
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .badFormat(let path, let reason): return "\(path) is not readable: \(reason)"
        case .deviceLost(let path, let reason): return "camera \(path) went away: \(reason)"
        case .stalled(let path, let seconds): return "camera \(path) sent no frame for \(seconds) s"
        case .unsupported(let path, let reason): return "camera \(path): \(reason)"
        case .system(let call, let errno, let message): return "\(call) failed: \(message) (errno \(errno))"
        }
    }

    /// Whether reopening the source later may help (unplug, stall, transient system error).
    public var isTransient: Bool {
        switch self {
        case .deviceLost, .stalled, .cannotOpen, .system: return true
        case .badSourceSpec, .badFormat, .unsupported: return false
        }
    }
}
