#if canImport(Glibc)
import Glibc
#endif

/// An open V4L2 device node: the one funnel every capture call goes through.
///
/// Owns the descriptor (closed by `close()`, or in `deinit` as a last resort). Every call is
/// retried here, and only here, while it fails with `EINTR`; every other failure becomes a
/// `V4L2CallError` naming the call. The typed `VIDIOC_*` wrappers live in
/// `V4L2Device+Requests.swift`. Not thread-safe: one capture thread uses it.
final class V4L2Device {
    let system: any V4L2System
    /// The node that was opened (symlinks already resolved).
    let path: String
    private(set) var fd: Int32?

    private init(system: any V4L2System, path: String, fd: Int32) {
        self.system = system
        self.path = path
        self.fd = fd
    }

    deinit { close() }

    /// Opens `path` read/write, non-blocking (frames are waited for with `poll`), close-on-exec.
    static func open(_ path: String, system: any V4L2System) throws(V4L2CallError) -> V4L2Device {
        let fd = try retryingInterrupted("open") { () throws(V4L2Errno) in
            try system.open(path, flags: O_RDWR | O_NONBLOCK | O_CLOEXEC)
        }
        return V4L2Device(system: system, path: path, fd: fd)
    }

    /// Issues `request` with `argument` passed by address; the driver reads and writes it in place.
    func ioctl<Argument>(_ request: V4L2Request, _ argument: inout Argument) throws(V4L2CallError) {
        let fd = try descriptor(request.description)
        let system = self.system
        try withUnsafeMutablePointer(to: &argument) { (pointer) throws(V4L2CallError) in
            try Self.retryingInterrupted(request.description) { () throws(V4L2Errno) in
                try system.ioctl(fd, request, UnsafeMutableRawPointer(pointer))
            }
        }
    }

    /// Maps a driver buffer into this process.
    func map(offset: Int64, length: Int) throws(V4L2CallError) -> UnsafeMutableRawPointer {
        let fd = try descriptor("mmap")
        let system = self.system
        return try Self.retryingInterrupted("mmap") { () throws(V4L2Errno) in
            try system.mmap(fd, length: length, offset: offset)
        }
    }

    func unmap(_ address: UnsafeMutableRawPointer, length: Int) throws(V4L2CallError) {
        let system = self.system
        try Self.retryingInterrupted("munmap") { () throws(V4L2Errno) in
            try system.munmap(address, length: length)
        }
    }

    /// Waits up to `timeoutMillis` for a filled buffer (or a queue error). False on timeout.
    /// An interrupted wait is restarted with the full timeout; callers bound waits by their own clock.
    func waitReadable(timeoutMillis: Int32) throws(V4L2CallError) -> Bool {
        let fd = try descriptor("poll")
        let system = self.system
        return try Self.retryingInterrupted("poll") { () throws(V4L2Errno) in
            try system.pollReadable(fd, timeoutMillis: timeoutMillis)
        }
    }

    /// Closes the descriptor; later calls fail with `EBADF`. Safe to call more than once.
    /// `EINTR` from close is not retried: Linux has released the descriptor already.
    func close() {
        guard let fd else { return }
        self.fd = nil
        try? system.close(fd)
    }

    private func descriptor(_ call: String) throws(V4L2CallError) -> Int32 {
        guard let fd else { throw V4L2CallError(call: call, errno: V4L2Errno(rawValue: EBADF)) }
        return fd
    }

    /// The single `EINTR` retry loop of the capture code.
    private static func retryingInterrupted<Result>(
        _ call: String, _ body: () throws(V4L2Errno) -> Result
    ) throws(V4L2CallError) -> Result {
        while true {
            do {
                return try body()
            } catch {
                if error == .interrupted { continue }
                throw V4L2CallError(call: call, errno: error)
            }
        }
    }
}
