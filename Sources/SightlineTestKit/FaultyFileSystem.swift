import SightlineSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `FileSystemCalls` funnel over the real file system that fails chosen calls (swift-system's
/// `MockTestCase` idea): the durable-file paths are tested for ENOSPC, EIO, short writes and EINTR on a real
/// temporary directory, with no full disk needed.
///
/// Every call is recorded (`calls`, e.g. `"open /tmp/x/.g.tmp-…"`, `"write 7"`). Thread-safe.
public final class FaultyFileSystem: FileSystemCalls, Sendable {
    /// A call the funnel knows.
    public enum Call: String, Sendable {
        case open, read, write, fsync, close, rename, link, unlink
    }

    private struct State {
        var failures: [Call: [Errno?]] = [:]
        var writeBudget: Int?
        var maxWriteChunk: Int?
        var calls: [String] = []
    }

    private let real = PosixFileSystem()
    private let state = Mutex(State())
    private let token: UInt64?

    /// - Parameters:
    ///   - token: the "random" token to hand out (so a test knows the temporary name); nil for real randomness.
    ///   - writeBudget: bytes that may be written in total before `write` fails with `ENOSPC` (a full disk).
    ///   - maxWriteChunk: at most this many bytes per `write` call (short writes).
    public init(token: UInt64? = nil, writeBudget: Int? = nil, maxWriteChunk: Int? = nil) {
        self.token = token
        state.withLock {
            $0.writeBudget = writeBudget
            $0.maxWriteChunk = maxWriteChunk
        }
    }

    /// Scripts the next calls of `call`, one per entry, in order: an error makes that call fail, nil lets it
    /// through (`fail(.fsync, with: nil, .ioError)` fails the second `fsync`). Later calls succeed.
    public func fail(_ call: Call, with errors: Errno?...) {
        state.withLock { $0.failures[call, default: []] += errors }
    }

    /// Every call made so far, as `"name argument"`.
    public var calls: [String] { state.withLock { $0.calls } }

    /// Records the call and returns the injected error for it, if any.
    private func injected(_ call: Call, _ argument: String) -> Errno? {
        state.withLock { s in
            s.calls.append("\(call.rawValue) \(argument)")
            guard var queue = s.failures[call], !queue.isEmpty else { return nil }
            let error = queue.removeFirst()
            s.failures[call] = queue
            return error
        }
    }

    public func open(_ path: String, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
        if let error = injected(.open, path) { throw error }
        return try real.open(path, flags: flags, mode: mode)
    }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        if let error = injected(.read, "\(buffer.count)") { throw error }
        return try real.read(fd, into: buffer)
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        if let error = injected(.write, "\(bytes.count)") { throw error }
        let allowed: Int = state.withLock { s in
            var n = bytes.count
            if let chunk = s.maxWriteChunk { n = min(n, chunk) }
            if let budget = s.writeBudget { n = min(n, budget) }
            return n
        }
        guard allowed > 0 else { throw .noSpace }
        let written = try real.write(fd, UnsafeRawBufferPointer(rebasing: bytes[..<allowed]))
        state.withLock { s in s.writeBudget = s.writeBudget.map { $0 - written } }
        return written
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        if let error = injected(.fsync, "\(fd)") { throw error }
        try real.fsync(fd)
    }

    public func close(_ fd: Int32) throws(Errno) {
        // The descriptor is released even when a failure is reported (as Linux does).
        let error = injected(.close, "\(fd)")
        try real.close(fd)
        if let error { throw error }
    }

    public func rename(_ from: String, _ to: String) throws(Errno) {
        if let error = injected(.rename, to) { throw error }
        try real.rename(from, to)
    }

    public func link(_ from: String, _ to: String) throws(Errno) {
        if let error = injected(.link, to) { throw error }
        try real.link(from, to)
    }

    public func unlink(_ path: String) throws(Errno) {
        if let error = injected(.unlink, path) { throw error }
        try real.unlink(path)
    }

    public func adoptOwner(_ fd: Int32, ofDirectory directory: String) throws(Errno) {}

    public func randomToken() -> UInt64 { token ?? real.randomToken() }
}
