/// An open file descriptor with one owner: closed exactly once, by `close()` or when the owner goes away.
///
/// `~Copyable`, so no copy can close it a second time or use it after close (swift-system's `FileDescriptor`
/// leaves that to the caller). Calls go through a `FileSystemCalls` funnel.
public struct FileDescriptor: ~Copyable {
    /// The kernel's number; -1 once closed.
    private var raw: Int32
    private let system: any FileSystemCalls
    /// The path it was opened with (for error messages).
    public let path: String

    /// Opens `path`; the `errno` of a failure is captured before anything else runs.
    public init(
        opening path: String, flags: Int32, mode: UInt32 = 0, system: any FileSystemCalls = PosixFileSystem()
    ) throws(FileSystemError) {
        raw = try Self.open(path, flags: flags, mode: mode, system: system)
        self.system = system
        self.path = path
    }

    private static func open(
        _ path: String, flags: Int32, mode: UInt32, system: any FileSystemCalls
    ) throws(FileSystemError) -> Int32 {
        while true {
            do throws(Errno) {
                return try system.open(path, flags: flags, mode: mode)
            } catch {
                guard error == .interrupted else { throw FileSystemError(path: path, call: "open", errno: error) }
            }
        }
    }

    deinit {
        if raw >= 0 { try? system.close(raw) }
    }

    /// The kernel's descriptor number, for calls outside the funnel (`flock`, `fstat`). Valid while `self` lives.
    public var rawValue: Int32 { raw }

    /// Reads to the end of the file, retrying `EINTR`. A file longer than `limit` bytes is refused with `EFBIG`
    /// before more than `limit + 1` bytes are held (its length comes from outside: never trusted for allocation).
    public func readAll(limit: Int) throws(FileSystemError) -> [UInt8] {
        precondition(limit >= 0, "limit must not be negative")
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit + 1, 64 * 1024))
        while true {
            let fd = raw, system = system
            let outcome = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try system.read(fd, into: buffer) }
            }
            let n: Int
            switch outcome {
            case .success(let count): n = count
            case .failure(.interrupted): continue
            case .failure(let error): throw FileSystemError(path: path, call: "read", errno: error)
            }
            if n == 0 { return out }
            guard n <= chunk.count, out.count + n <= limit else {
                throw FileSystemError(path: path, call: "read", errno: .fileTooLarge)
            }
            out.append(contentsOf: chunk[..<n])
        }
    }

    /// Writes all of `bytes`, retrying `EINTR` and continuing after short writes. A write that makes no progress
    /// is reported as `EIO`; the first error is reported with its own `errno`.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let n: Int
            do throws(Errno) {
                n = try system.write(raw, rest)
            } catch {
                guard error == .interrupted else { throw FileSystemError(path: path, call: "write", errno: error) }
                continue
            }
            guard n > 0, n <= rest.count else { throw FileSystemError(path: path, call: "write", errno: .ioError) }
            offset += n
        }
    }

    /// Writes all of `bytes` (see `writeAll(_:)` for raw buffers).
    public func writeAll(_ bytes: [UInt8]) throws(FileSystemError) {
        // `withUnsafeBytes` rethrows untyped errors: carry the typed one out in a `Result`.
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(FileSystemError) in try writeAll(buffer) }
        }
        try outcome.get()
    }

    /// `fsync(2)`: the data and metadata are on stable storage when this returns.
    public func sync() throws(FileSystemError) {
        do throws(Errno) { try system.fsync(raw) } catch {
            throw FileSystemError(path: path, call: "fsync", errno: error)
        }
    }

    /// Gives the file the owner of `directory` when running as root (see `FileSystemCalls.adoptOwner`).
    public func adoptOwner(ofDirectory directory: String) throws(FileSystemError) {
        do throws(Errno) {
            try system.adoptOwner(raw, ofDirectory: directory)
        } catch {
            throw FileSystemError(path: path, call: "fchown", errno: error)
        }
    }

    /// Closes now and reports a failure (`close(2)` can report a deferred write error). The descriptor is
    /// released either way; `EINTR` is not retried (Linux has closed it already).
    public consuming func close() throws(FileSystemError) {
        let fd = raw
        raw = -1
        do throws(Errno) { try system.close(fd) } catch {
            throw FileSystemError(path: path, call: "close", errno: error)
        }
    }
}
