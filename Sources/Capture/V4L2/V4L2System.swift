internal import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// The raw system calls V4L2 capture makes: the seam where tests put a fake device.
///
/// Implementations make exactly one call per method and report failure by throwing the
/// `errno` it set; they never retry. `V4L2Device` is the only caller, and the only place
/// that retries `EINTR`. Descriptors are plain `Int32` as the kernel hands them out.
public protocol V4L2System: AnyObject, Sendable {
    /// The device node `path` names once every symlink is followed (`realpath(3)`), so that a
    /// stable `/dev/v4l/by-id/…` name can be logged with the `/dev/videoN` it points at today.
    func resolveSymlinks(_ path: String) throws(V4L2Errno) -> String
    /// `open(2)` (through libv4l2) with `flags` such as `O_RDWR | O_NONBLOCK | O_CLOEXEC`.
    func open(_ path: String, flags: Int32) throws(V4L2Errno) -> Int32
    func close(_ fd: Int32) throws(V4L2Errno)
    /// `ioctl(2)` with `arg` pointing at the request's struct (read and written in place).
    func ioctl(_ fd: Int32, _ request: V4L2Request, _ arg: UnsafeMutableRawPointer) throws(V4L2Errno)
    /// Maps `length` bytes of the buffer at `offset` (from `VIDIOC_QUERYBUF`) read/write, shared.
    func mmap(_ fd: Int32, length: Int, offset: Int64) throws(V4L2Errno) -> UnsafeMutableRawPointer
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(V4L2Errno)
    /// Waits up to `timeoutMillis` for `fd` to become readable. Returns false on timeout, true when
    /// a buffer is ready or the queue is in error (`POLLERR`: the next `VIDIOC_DQBUF` says which).
    /// Throws `ENODEV` on `POLLHUP`, which V4L2 reports once the device is unregistered.
    func pollReadable(_ fd: Int32, timeoutMillis: Int32) throws(V4L2Errno) -> Bool
}

/// The real system: libv4l2 through the `CV4L2` shim, `poll(2)` from the C library.
///
/// libv4l2 hands out the kernel descriptor itself, so `poll` works on it unchanged.
public final class LibV4L2System: V4L2System {
    public static let shared = LibV4L2System()

    public init() {}

    public func resolveSymlinks(_ path: String) throws(V4L2Errno) -> String {
        guard let resolved = realpath(path, nil) else { throw .current }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func open(_ path: String, flags: Int32) throws(V4L2Errno) -> Int32 {
        let fd = CV4L2_open(path, flags)
        guard fd >= 0 else { throw .current }
        return fd
    }

    public func close(_ fd: Int32) throws(V4L2Errno) {
        guard CV4L2_close(fd) == 0 else { throw .current }
    }

    public func ioctl(_ fd: Int32, _ request: V4L2Request, _ arg: UnsafeMutableRawPointer) throws(V4L2Errno) {
        guard CV4L2_ioctl(fd, request.code, arg) != -1 else { throw .current }
    }

    public func mmap(_ fd: Int32, length: Int, offset: Int64) throws(V4L2Errno) -> UnsafeMutableRawPointer {
        let address = CV4L2_mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset)
        guard let address, address != CV4L2_MAP_FAILED() else { throw .current }
        return address
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(V4L2Errno) {
        guard CV4L2_munmap(address, length) == 0 else { throw .current }
    }

    public func pollReadable(_ fd: Int32, timeoutMillis: Int32) throws(V4L2Errno) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&entry, 1, timeoutMillis)
        guard n >= 0 else { throw .current }
        if n == 0 { return false }
        if entry.revents & Int16(POLLHUP) != 0 { throw .noSuchDevice }
        if entry.revents & Int16(POLLNVAL) != 0 { throw V4L2Errno(rawValue: EBADF) }
        return true
    }
}
