#if canImport(Glibc)
import Glibc
#endif

/// An error number a system call reported, as swift-system's `Errno` carries it.
///
/// The V4L2 syscall funnel throws this; `V4L2Source` turns it into a `CaptureError` that says
/// what the operator can do about it.
public struct V4L2Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The current thread's `errno`, read right after a call returned -1.
    public static var current: V4L2Errno { V4L2Errno(rawValue: errno) }

    public static let interrupted = V4L2Errno(rawValue: EINTR)
    public static let wouldBlock = V4L2Errno(rawValue: EAGAIN)
    public static let invalidArgument = V4L2Errno(rawValue: EINVAL)
    public static let noSuchDevice = V4L2Errno(rawValue: ENODEV)
    public static let ioError = V4L2Errno(rawValue: EIO)
    public static let noSuchFile = V4L2Errno(rawValue: ENOENT)
    public static let busy = V4L2Errno(rawValue: EBUSY)
    public static let permissionDenied = V4L2Errno(rawValue: EACCES)
    public static let notATypewriter = V4L2Errno(rawValue: ENOTTY)

    /// `strerror` text, e.g. "No such device".
    public var message: String { String(cString: strerror(rawValue)) }

    public var description: String { "\(message) (errno \(rawValue))" }

    /// Whether the error means the device itself is gone (unplugged, hardware failure).
    public var meansDeviceLost: Bool { self == .noSuchDevice || self == .ioError || self == V4L2Errno(rawValue: ENXIO) }
}
