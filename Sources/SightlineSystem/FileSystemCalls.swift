#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system calls durable file writing needs, in one funnel (swift-system's `MockTestCase` idea).
///
/// Each call maps to one libc function and throws the `errno` it left, read before anything else runs.
/// `EINTR` is passed up as it is: `FileDescriptor` and `DurableFile` retry it, in one place. Tests substitute a
/// conformer that fails chosen calls (SightlineTestKit's `FaultyFileSystem`).
public protocol FileSystemCalls: Sendable {
    /// `open(2)`; `mode` applies when `flags` holds `O_CREAT`.
    func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32
    /// One `read(2)` into `buffer`: returns how many bytes were read, 0 at the end of the file.
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    /// One `write(2)`: returns how many bytes were written, which may be fewer than asked.
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int
    func fsync(_ fd: Int32) throws(Errno)
    func close(_ fd: Int32) throws(Errno)
    /// `rename(2)`: atomically replaces `to`.
    func rename(_ from: String, _ to: String) throws(Errno)
    /// `link(2)`: fails with `EEXIST` rather than replace `to`.
    func link(_ from: String, _ to: String) throws(Errno)
    func unlink(_ path: String) throws(Errno)
    /// Gives the open file the owner and group of `directory` when this process is root and the directory
    /// belongs to someone else (the CLI, run as root, writing into the daemon's state directory); else nothing.
    func adoptOwner(_ fd: Int32, ofDirectory directory: String) throws(Errno)
    /// 64 unpredictable bits (for temporary names).
    func randomToken() -> UInt64
}

/// The real calls, straight to the C library.
public struct PosixFileSystem: FileSystemCalls {
    public init() {}

    public func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        let fd = Glibc.open(path, flags, mode_t(mode))
        guard fd >= 0 else { throw .current }
        return fd
    }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        let n = Glibc.read(fd, base, buffer.count)
        guard n >= 0 else { throw .current }
        return n
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        let n = Glibc.write(fd, base, bytes.count)
        guard n >= 0 else { throw .current }
        return n
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        guard Glibc.fsync(fd) == 0 else { throw .current }
    }

    public func close(_ fd: Int32) throws(Errno) {
        guard Glibc.close(fd) == 0 else { throw .current }
    }

    public func rename(_ from: String, _ to: String) throws(Errno) {
        guard Glibc.rename(from, to) == 0 else { throw .current }
    }

    public func link(_ from: String, _ to: String) throws(Errno) {
        guard Glibc.link(from, to) == 0 else { throw .current }
    }

    public func unlink(_ path: String) throws(Errno) {
        guard Glibc.unlink(path) == 0 else { throw .current }
    }

    public func adoptOwner(_ fd: Int32, ofDirectory directory: String) throws(Errno) {
        guard geteuid() == 0 else { return }
        var st = stat()
        guard stat(directory.isEmpty ? "." : directory, &st) == 0, st.st_uid != 0 else { return }
        guard fchown(fd, st.st_uid, st.st_gid) == 0 else { throw .current }
    }

    public func randomToken() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}
