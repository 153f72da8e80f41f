import SightlineCore

/// Splits a raw MJPEG stream (JPEGs back to back, as `ffmpeg -f mjpeg` writes and many cameras
/// send) into complete JPEGs, SOI … EOI.
///
/// The header part of each JPEG is walked segment by segment, so markers inside APPn payloads
/// (an EXIF thumbnail is a whole JPEG) do not end the frame; from the first SOS on, entropy data
/// is scanned with `memchr` for `FF D9` (inside entropy data a data 0xFF is always stuffed with
/// 0x00, so `FF D9` is a real EOI). Bytes before an SOI are skipped and counted; a new SOI before
/// the EOI means the previous frame was cut, which is counted corrupt; so is a frame that grows
/// past `maxFrameBytes` or is left open at the end of input. A malformed header is not judged
/// here: the frame still ends at its EOI and the decoder reports it.
public struct MJPEGStreamParser: FootageParser {
    public static let formatName = "mjpeg"

    private enum State {
        /// Looking for SOI; bytes before `from` are known not to start one.
        case seeking(from: Int)
        /// Inside a frame that starts at offset 0, walking marker segments; `at` is the next marker.
        case header(at: Int)
        /// Inside entropy-coded data of a frame that starts at offset 0; scan resumes at `from`.
        case entropy(from: Int)
    }

    private var queue = ByteQueue()
    private var state = State.seeking(from: 0)
    private var finished = false
    private var emitted = 0
    /// Start of the payload of the last segment the header walk jumped over. When the walk then
    /// lands on something that is not a marker, the jump was wrong (the frame was cut inside that
    /// segment), so the search for EOI or a new SOI restarts from there.
    private var lastJumpFrom = 2
    /// Largest frame accepted, in bytes.
    public let maxFrameBytes: Int
    public private(set) var corruptFrames: UInt64 = 0
    public private(set) var skippedBytes: UInt64 = 0
    /// Raw MJPEG carries no timing: the source supplies the rate.
    public var frameRate: Double? { nil }

    public init(maxFrameBytes: Int = 32 << 20) {
        precondition(maxFrameBytes >= 4, "a JPEG needs at least 4 bytes")
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func write<E: Error>(maxCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int)
        throws(E) -> Int {
        precondition(!finished, "write after finish")
        return try queue.write(maxCount: maxCount, body)
    }

    public mutating func nextFrame() throws(FootageFormatError) -> FootageFrame? {
        while true {
            switch state {
            case .seeking(let from):
                guard seekSOI(from: from) else { return nil }
            case .header(let at):
                switch walkHeader(at: at) {
                case .needMore: return nil
                case .continue: break
                case .frame(let length): return emit(length: length)
                }
            case .entropy(let from):
                switch scanEntropy(from: from) {
                case .needMore: return nil
                case .continue: break
                case .frame(let length): return emit(length: length)
                }
            }
        }
    }

    public mutating func finish() {
        guard !finished else { return }
        finished = true
        switch state {
        case .seeking: skippedBytes += UInt64(queue.count)
        case .header, .entropy: corruptFrames += 1
        }
        queue.removeAll()
        state = .seeking(from: 0)
    }

    private enum Step { case needMore, `continue`, frame(length: Int) }

    /// Drops bytes before the next SOI and enters the frame; false when more input is needed.
    private mutating func seekSOI(from: Int) -> Bool {
        var from = from
        while let ff = queue.firstIndex(of: 0xFF, from: from, to: queue.count) {
            guard ff + 1 < queue.count else {
                // A lone 0xFF at the end may be the first half of an SOI.
                drop(skipped: ff)
                state = .seeking(from: 0)
                return false
            }
            if queue[ff + 1] == 0xD8 {
                drop(skipped: ff)
                enterFrame()
                return true
            }
            from = ff + 1
        }
        drop(skipped: queue.count)
        state = .seeking(from: 0)
        return false
    }

    private mutating func walkHeader(at start: Int) -> Step {
        var at = start
        while true {
            if at > maxFrameBytes { return abandonOversizedFrame() }
            guard at + 1 < queue.count else { state = .header(at: at); return .needMore }
            guard queue[at] == 0xFF else {
                // Not a marker where one must be: let the EOI end the frame and the decoder judge it.
                state = .entropy(from: lastJumpFrom)
                return .continue
            }
            let marker = queue[at + 1]
            switch marker {
            case 0xFF:
                at += 1  // fill byte before a marker
            case 0xD8:
                restartFrame(at: at)
                return .continue
            case 0xD9:
                return .frame(length: at + 2)
            case 0x01, 0xD0...0xD7:
                at += 2  // standalone markers (TEM, RSTn) have no length
            case 0x00:
                state = .entropy(from: lastJumpFrom)
                return .continue
            default:
                guard at + 3 < queue.count else { state = .header(at: at); return .needMore }
                let length = queue.uint16BE(at: at + 2)
                guard length >= 2 else { state = .entropy(from: at + 2); return .continue }
                lastJumpFrom = at + 4
                at += 2 + length
                if marker == 0xDA { state = .entropy(from: at); return .continue }
            }
        }
    }

    private mutating func scanEntropy(from start: Int) -> Step {
        var from = start
        let end = min(queue.count, maxFrameBytes)
        // Look for 0xFF among bytes that have a successor, so the marker byte can be read.
        while let ff = queue.firstIndex(of: 0xFF, from: from, to: end - 1) {
            switch queue[ff + 1] {
            case 0xD9:
                return .frame(length: ff + 2)
            case 0xD8:
                restartFrame(at: ff)
                return .continue
            case 0xFF:
                from = ff + 1
            default:
                from = ff + 2
            }
        }
        if end >= maxFrameBytes { return abandonOversizedFrame() }
        state = .entropy(from: max(from, end - 1, 0))
        return .needMore
    }

    /// A new SOI at `offset` before the current frame's EOI: the current frame was truncated.
    private mutating func restartFrame(at offset: Int) {
        corruptFrames += 1
        queue.consume(offset)
        enterFrame()
    }

    /// The queue starts with an SOI: walk the new frame's header.
    private mutating func enterFrame() {
        lastJumpFrom = 2
        state = .header(at: 2)
    }

    private mutating func abandonOversizedFrame() -> Step {
        corruptFrames += 1
        // Drop the SOI so that the search resumes inside the oversized frame's data.
        queue.consume(2)
        state = .seeking(from: 0)
        return .continue
    }

    private mutating func drop(skipped n: Int) {
        skippedBytes += UInt64(n)
        queue.consume(n)
    }

    private mutating func emit(length: Int) -> FootageFrame {
        let jpeg = queue.copy(from: 0, count: length)
        queue.consume(length)
        state = .seeking(from: 0)
        defer { emitted += 1 }
        return FootageFrame(index: emitted, payload: .jpeg(jpeg))
    }
}
