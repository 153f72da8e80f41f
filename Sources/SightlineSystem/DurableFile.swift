#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a whole file so that a crash leaves the old contents or the new, never a mix or a stray file.
///
/// The bytes go to a new temporary file beside the target, opened `O_CREAT|O_EXCL|O_NOFOLLOW` under an
/// unpredictable name (so nothing planted there, a symlink least of all, is ever followed or truncated), with
/// `mode` (0600 by default) and the directory's owner when run as root. Then `write` until done (EINTR
/// retried), `fsync`, `close`, then `rename` over the target (or `link`, which refuses an existing target),
/// then `fsync` of the directory so the new name itself is durable. On any failure the temporary file is
/// removed and the target is as it was; the error names the path and the call, with the `errno` that call left.
public enum DurableFile {
    /// What to do when the target exists.
    public enum Existing: Sendable {
        /// Replace it atomically (`rename(2)`).
        case replace
        /// Fail with `EEXIST` (`link(2)`), for files that must never be overwritten (keys).
        case keep
    }

    /// Writes `bytes` to `path` durably (see the type's documentation).
    public static func write(
        _ bytes: [UInt8], to path: String, mode: UInt32 = 0o600, existing: Existing = .replace,
        system: any FileSystemCalls = PosixFileSystem()
    ) throws(FileSystemError) {
        let directory = directoryName(of: path)
        let temporary = temporaryPath(for: path, token: system.randomToken())
        let file = try FileDescriptor(
            opening: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: mode,
            system: system)
        do throws(FileSystemError) {
            try file.adoptOwner(ofDirectory: directory)
            try file.writeAll(bytes)
            try file.sync()
            try file.close()
            switch existing {
            case .replace:
                do throws(Errno) { try system.rename(temporary, path) } catch {
                    throw FileSystemError(path: path, call: "rename", errno: error)
                }
            case .keep:
                do throws(Errno) { try system.link(temporary, path) } catch {
                    throw FileSystemError(path: path, call: "link", errno: error)
                }
                // The target holds the bytes now; the temporary name must go (else a second copy of a key stays).
                do throws(Errno) { try system.unlink(temporary) } catch {
                    throw FileSystemError(path: temporary, call: "unlink", errno: error)
                }
            }
        } catch {
            // Cleanup on the way out: the first failure is what the caller needs to hear about.
            try? system.unlink(temporary)
            throw error
        }
        try syncDirectory(directory, system: system)
    }

    /// `fsync(2)` of a directory, so that entries renamed, linked or removed in it are durable.
    public static func syncDirectory(_ directory: String, system: any FileSystemCalls = PosixFileSystem())
        throws(FileSystemError)
    {
        let handle = try FileDescriptor(
            opening: directory.isEmpty ? "." : directory, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, system: system)
        try handle.sync()
        try handle.close()
    }

    /// The directory part of `path` ("" for a bare name, "/" for a file at the root).
    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `DIR/.NAME.tmp-<16 hex digits>` for `DIR/NAME`: hidden, beside the target (same file system), and not
    /// guessable from the outside.
    static func temporaryPath(for path: String, token: UInt64) -> String {
        let directory = directoryName(of: path)
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let hex = String(token, radix: 16)
        let suffix = String(repeating: "0", count: 16 - hex.count) + hex
        let prefix = directory.isEmpty ? "" : directory == "/" ? "/" : directory + "/"
        return "\(prefix).\(name).tmp-\(suffix)"
    }
}
