#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable FIFO of bytes that the container parsers read from: unread bytes sit in
/// `storage[head..<tail]`, readers fill the free tail directly (no intermediate copy), and parsers
/// address bytes relative to `head` so that compaction never invalidates their offsets.
struct ByteQueue {
    /// Backing store; its `count` is the capacity. Only `head..<tail` holds data.
    private var storage: [UInt8]
    private var head = 0
    private var tail = 0

    /// An empty queue; the store grows to the sizes writers ask for.
    init(capacity: Int = 4096) {
        storage = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// Number of unread bytes.
    var count: Int { tail - head }

    /// The unread byte at `offset` (relative to the first unread byte).
    @inline(__always)
    subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < count, "ByteQueue offset out of range")
        return storage.withUnsafeBufferPointer { $0[head &+ offset] }
    }

    /// Big-endian 16-bit value at `offset`.
    func uint16BE(at offset: Int) -> Int { Int(self[offset]) << 8 | Int(self[offset + 1]) }

    /// Little-endian 32-bit value at `offset`.
    func uint32LE(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= count, "ByteQueue offset out of range")
        return storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: head + offset, as: UInt32.self) }
            .littleEndian
    }

    /// Appends a copy of `bytes`.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        _ = write(maxCount: bytes.count) { dst in
            dst.copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Lets `body` write up to `maxCount` bytes into the free tail and returns how many it wrote.
    ///
    /// This is how readers `read(2)` straight into the queue. `body` returns the byte count (≤ the
    /// buffer size); errors propagate with nothing appended.
    mutating func write<E: Error>(maxCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int)
        throws(E) -> Int {
        precondition(maxCount > 0, "write needs room for at least one byte")
        reserveTail(maxCount)
        let start = tail
        // `Array.withUnsafeMutableBytes` is untyped-rethrows: carry the typed error out by hand.
        var failure: E?
        let written = storage.withUnsafeMutableBytes { raw -> Int in
            do throws(E) {
                return try body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + maxCount)]))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        precondition(written >= 0 && written <= maxCount, "writer reported more bytes than it had room for")
        tail += written
        return written
    }

    /// Drops the first `n` unread bytes.
    mutating func consume(_ n: Int) {
        precondition(n >= 0 && n <= count, "cannot consume more than is buffered")
        head += n
        if head == tail { head = 0; tail = 0 }
    }

    /// Drops everything.
    mutating func removeAll() { head = 0; tail = 0 }

    /// A copy of `count` bytes starting at `offset`.
    func copy(from offset: Int, count n: Int) -> [UInt8] {
        precondition(offset >= 0 && n >= 0 && offset + n <= count, "copy out of range")
        return storage.withUnsafeBufferPointer { Array($0[(head + offset)..<(head + offset + n)]) }
    }

    /// Offset of the first `byte` in `offset..<end` (relative offsets), found with `memchr`.
    func firstIndex(of byte: UInt8, from offset: Int, to end: Int) -> Int? {
        precondition(offset >= 0 && end <= count, "search out of range")
        guard offset < end else { return nil }
        return storage.withUnsafeBytes { raw -> Int? in
            let base = raw.baseAddress! + head
            guard let hit = memchr(base + offset, Int32(byte), end - offset) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
    }

    /// Runs `body` over the unread bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[head..<tail])) }
    }

    /// Makes room for `n` more bytes after `tail`, by sliding unread bytes to the front when that
    /// suffices and by doubling the store otherwise.
    private mutating func reserveTail(_ n: Int) {
        if storage.count - tail >= n { return }
        let live = count
        if head > 0 && storage.count - live >= n && live <= storage.count / 2 {
            let from = head
            storage.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                memmove(base, base + from, live)
            }
            head = 0
            tail = live
            return
        }
        let from = head
        // Bytes past `live` are written before they are read, so the new store is not zeroed.
        storage = storage.withUnsafeBytes { src in
            [UInt8](unsafeUninitializedCapacity: max(storage.count * 2, live + n)) { dst, initialized in
                UnsafeMutableRawBufferPointer(dst).baseAddress!.copyMemory(from: src.baseAddress! + from,
                                                                          byteCount: live)
                initialized = dst.count
            }
        }
        head = 0
        tail = live
    }
}
