import SightlineCore

/// A failed call through the V4L2 funnel: which call, and the `errno` it left.
public struct V4L2CallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call, e.g. `VIDIOC_S_FMT` or `open`.
    public var call: String
    public var errno: V4L2Errno

    public init(call: String, errno: V4L2Errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(errno)" }

    /// The operator-facing error for a device at `path`: `ENODEV`/`EIO`/`ENXIO` mean the camera
    /// went away; anything else is a system error.
    public func captureError(path: String) -> CaptureError {
        if errno.meansDeviceLost { return .deviceLost(path: path, reason: "\(call): \(errno.message)") }
        return .system(call: call, errno: errno.rawValue, message: errno.message)
    }
}
