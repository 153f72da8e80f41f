#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX error number, as a value (swift-system's `Errno`, without the dependency).
///
/// Read it right after the failing call (`Errno.current`): any later call, `close(2)` included, may overwrite
/// the C library's `errno`.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` now.
    public static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let ioError = Errno(rawValue: EIO)
    public static let fileExists = Errno(rawValue: EEXIST)
    public static let noSuchFile = Errno(rawValue: ENOENT)
    public static let tooManySymbolicLinks = Errno(rawValue: ELOOP)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let fileTooLarge = Errno(rawValue: EFBIG)

    /// `strerror` text and the symbolic number, e.g. "No space left on device (errno 28)".
    public var description: String { "\(String(cString: strerror(rawValue))) (errno \(rawValue))" }
}

/// A system call that failed: which call, on which path, with which `errno`.
public struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file or directory the call was about.
    public var path: String
    /// The call that failed: `open`, `read`, `write`, `fsync`, `close`, `rename`, `link`, `unlink`, `fchown`.
    public var call: String
    public var errno: Errno

    public init(path: String, call: String, errno: Errno) {
        self.path = path
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) \(path) failed: \(errno)" }
}
