import Glibc
import SightlineCore

/// The system-call funnel of the footage sources: `open`, `read`, `lseek`, `close` and directory
/// listing, with `EINTR` retried here and errno turned into `CaptureError` here.
///
/// Owns one descriptor (standard input is borrowed, never closed). Not thread-safe.
struct FileInput {
    /// The path as given; `-` is standard input.
    let path: String
    private(set) var fd: Int32

    /// Whether this input is standard input (which cannot be rewound or closed).
    var isStandardInput: Bool { path == "-" }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Opens `path` read-only (`-` is standard input); refuses directories.
    static func open(_ path: String) throws(CaptureError) -> FileInput {
        if path == "-" { return FileInput(path: path, fd: STDIN_FILENO) }
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: errnoMessage(errno)) }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            _ = Glibc.close(fd)
            throw .cannotOpen(path: path, reason: "is a directory")
        }
        // Footage is read once front to back: let the kernel read ahead generously.
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        return FileInput(path: path, fd: fd)
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int {
        precondition(fd >= 0, "read from a closed input")
        let n = Self.retryingEINTR { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        guard n >= 0 else {
            let e = errno
            throw .system(call: "read(\(path))", errno: e, message: Self.errnoMessage(e))
        }
        return n
    }

    /// Seeks back to the start for looping; false when the input is a pipe or terminal.
    func rewind() -> Bool {
        !isStandardInput && lseek(fd, 0, SEEK_SET) == 0
    }

    mutating func close() {
        if fd >= 0 && !isStandardInput { _ = Glibc.close(fd) }
        fd = -1
    }

    /// The whole content of a small file, at most `limit` bytes; nil when it is larger.
    static func readWhole(_ path: String, limit: Int) throws(CaptureError) -> [UInt8]? {
        var input = try open(path)
        defer { input.close() }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n = try input.read(into: chunk)
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { return nil }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Names of the entries of directory `path` (without `.` and `..`), unsorted.
    static func listDirectory(_ path: String) throws(CaptureError) -> [String] {
        guard let dir = opendir(path) else { throw .cannotOpen(path: path, reason: errnoMessage(errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Sleeps until `CLOCK_MONOTONIC` reads `nanos`.
    static func sleep(untilMonotonicNanos nanos: UInt64) {
        var ts = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    private static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let r = call()
            if r >= 0 || errno != EINTR { return r }
        }
    }

    static func errnoMessage(_ code: Int32) -> String { String(cString: strerror(code)) }
}
