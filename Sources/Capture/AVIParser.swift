import SightlineCore

/// Reads MJPEG video out of a RIFF AVI stream (as USB cameras, OpenCV and ffmpeg write them),
/// incrementally and without seeking, so it also works on pipes.
///
/// The RIFF tree is walked flat: `hdrl`, `strl`, `movi` and `rec ` lists are entered, other
/// lists and chunks are skipped by size, and an OpenDML `RIFF AVIX` continuation is entered like
/// the first `RIFF AVI `. Video chunks (`NNdc`/`NNdb` of the video stream) become frames; audio
/// and index chunks are ignored; an empty video chunk is a dropped frame (it takes a timeline
/// slot). Damage is survived, not trusted: a chunk header that is not one, or a video chunk whose
/// size does not land on another chunk, starts a byte-wise search for the next plausible chunk
/// (skipped bytes are counted, the damaged frame is counted corrupt); a missing pad byte after an
/// odd-sized chunk is detected; a video chunk cut by the end of input is counted corrupt.
/// The frame rate comes from the video stream's `strh` (dwRate/dwScale), else from `avih`.
public struct AVIParser: FootageParser {
    public static let formatName = "avi"

    enum State {
        case fileHeader
        case chunkHeader
        /// Inside a chunk whose data is dropped unread.
        case skipping(remaining: Int, thenPad: Bool)
        /// After an odd-sized chunk, where a pad byte should be.
        case pad
        /// Searching for a plausible chunk header from `from` on.
        case resync(from: Int)
    }

    enum Step { case needMore, `continue`, frame(FootageFrame) }

    var queue = ByteQueue()
    var state = State.fileHeader
    var finished = false
    var inMovi = false
    /// Number of `strh` chunks read so far: the stream number the next one describes.
    var streamCount = 0
    /// Stream number of the first video stream (chunks `NNdc`); 0 until `hdrl` says otherwise.
    var videoStream: Int?
    var lastStreamWasVideo = false
    var microsecondsPerFrame: UInt32 = 0
    var streamRate: Double?
    var slot = 0

    /// Largest video chunk accepted, in bytes; a larger size inside `movi` is taken as damage.
    public let maxFrameBytes: Int
    public internal(set) var corruptFrames: UInt64 = 0
    public internal(set) var skippedBytes: UInt64 = 0
    /// Picture size from `avih`/`strf`, 0 while unknown.
    public internal(set) var width = 0
    public internal(set) var height = 0
    /// Compression FourCC of the video stream (`MJPG`), nil until its `strf` was read.
    public internal(set) var videoCodec: String?

    public var frameRate: Double? {
        if let streamRate { return streamRate }
        return microsecondsPerFrame > 0 ? 1e6 / Double(microsecondsPerFrame) : nil
    }

    public init(maxFrameBytes: Int = 32 << 20) {
        precondition(maxFrameBytes >= 4, "a JPEG needs at least 4 bytes")
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func write<E: Error>(maxCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int)
        throws(E) -> Int {
        precondition(!finished, "write after finish")
        return try queue.write(maxCount: maxCount, body)
    }

    public mutating func finish() { finished = true }

    public mutating func nextFrame() throws(FootageFormatError) -> FootageFrame? {
        while true {
            switch state {
            case .fileHeader:
                guard queue.count >= 12 else { return waitOrEnd() }
                guard queue.uint32LE(at: 0) == FourCC.riff, queue.uint32LE(at: 8) == FourCC.avi else {
                    throw FootageFormatError("not a RIFF AVI file (no 'RIFF....AVI ' header)")
                }
                queue.consume(12)
                state = .chunkHeader
            case .skipping(let remaining, let thenPad):
                let n = min(remaining, queue.count)
                queue.consume(n)
                guard n == remaining else {
                    state = .skipping(remaining: remaining - n, thenPad: thenPad)
                    return waitOrEnd()
                }
                state = thenPad ? .pad : .chunkHeader
            case .pad:
                guard queue.count >= 5 || finished else { return nil }
                // Some writers forget the pad byte: keep the byte when a chunk starts at it and
                // none starts one byte later.
                let missing = queue.count >= 5 && isPlausibleChunk(at: 0) && !isPlausibleChunk(at: 1)
                if !missing && queue.count > 0 { queue.consume(1) }
                state = .chunkHeader
            case .resync(let from):
                guard resync(from: from) else { return waitOrEnd() }
            case .chunkHeader:
                guard queue.count >= 8 else { return waitOrEnd() }
                switch try readChunk() {
                case .needMore: return waitOrEnd()
                case .continue: break
                case .frame(let frame): return frame
                }
            }
        }
    }

    /// Nil while more input may come; at the end of input, accounts for what is left and ends.
    private mutating func waitOrEnd() -> FootageFrame? {
        guard finished, queue.count > 0 else { return nil }
        switch state {
        case .chunkHeader:
            if queue.count >= 8 && inMovi && isVideoChunk(queue.uint32LE(at: 0)) { corruptFrames += 1 }
        case .resync:
            skippedBytes += UInt64(queue.count)
        case .fileHeader, .skipping, .pad:
            break
        }
        queue.removeAll()
        return nil
    }

    /// Handles the chunk at the front of the queue (at least 8 bytes are there).
    private mutating func readChunk() throws(FootageFormatError) -> Step {
        let id = queue.uint32LE(at: 0)
        let size = Int(queue.uint32LE(at: 4))
        if inMovi ? !isPlausibleChunk(at: 0) : !FourCC.isPrintable(id) {
            state = .resync(from: 1)
            return .continue
        }
        let odd = size & 1 == 1

        if id == FourCC.list || id == FourCC.riff {
            guard queue.count >= 12 else { return .needMore }
            let kind = queue.uint32LE(at: 8)
            if id == FourCC.riff && kind == FourCC.avix || id == FourCC.list && FourCC.enteredLists.contains(kind) {
                if kind == FourCC.movi { try enterMovi() }
                queue.consume(12)
                return .continue
            }
            guard size >= 4, !inMovi || size <= maxFrameBytes else {
                state = .resync(from: 1)
                return .continue
            }
            queue.consume(12)
            state = .skipping(remaining: size - 4, thenPad: odd)
            return .continue
        }
        if inMovi && isVideoChunk(id) {
            guard size <= maxFrameBytes else {
                corruptFrames += 1
                state = .resync(from: 8)
                return .continue
            }
            guard queue.count >= 8 + size else { return .needMore }
            switch chunkFollows(at: 8 + size, odd: odd) {
            case nil:
                return .needMore
            case false?:
                // The size does not land on another chunk: it is damaged, and so is the frame.
                corruptFrames += 1
                state = .resync(from: 8)
                return .continue
            case true?:
                let payload = size > 0 ? queue.copy(from: 8, count: size) : nil
                let index = slot
                slot += 1
                queue.consume(8 + size)
                state = odd ? .pad : .chunkHeader
                return payload.map { .frame(FootageFrame(index: index, payload: .jpeg($0))) } ?? .continue
            }
        }
        if !inMovi && FourCC.headerChunks.contains(id) && size <= 1 << 16 {
            guard queue.count >= 8 + size else { return .needMore }
            readHeaderChunk(id: id, size: size)
            queue.consume(8 + size)
            state = odd ? .pad : .chunkHeader
            return .continue
        }
        // Indexes and padding may be large (idx1 lists every chunk); other chunks inside `movi`
        // are audio or text and are bounded like frames.
        if inMovi && size > maxFrameBytes && !FourCC.isIndexOrJunk(id) {
            state = .resync(from: 1)
            return .continue
        }
        queue.consume(8)
        state = .skipping(remaining: size, thenPad: odd)
        return .continue
    }

    /// Whether a chunk header (or the end of input) follows a chunk ending at `offset`, allowing
    /// for the pad byte and for its absence; nil when that cannot be told yet.
    private func chunkFollows(at offset: Int, odd: Bool) -> Bool? {
        let candidates = odd ? [offset + 1, offset] : [offset]
        var undecided = false
        for c in candidates {
            if c + 4 <= queue.count {
                if isPlausibleChunk(at: c) { return true }
            } else {
                undecided = true
            }
        }
        if undecided { return finished ? true : nil }
        return false
    }

    private mutating func enterMovi() throws(FootageFormatError) {
        inMovi = true
        if let codec = videoCodec, !FourCC.mjpegCodecs.contains(codec) {
            throw FootageFormatError("video codec '\(codec)' is not Motion JPEG")
        }
    }

    /// `NNdc` or `NNdb` of the video stream.
    func isVideoChunk(_ id: UInt32) -> Bool {
        guard let stream = FourCC.streamNumber(id), id >> 16 == FourCC.dcTag || id >> 16 == FourCC.dbTag else {
            return false
        }
        return stream == (videoStream ?? 0)
    }

    /// Whether the four bytes at `offset` are a chunk id a writer could have put inside `movi`.
    func isPlausibleChunk(at offset: Int) -> Bool {
        guard offset + 4 <= queue.count else { return false }
        let id = queue.uint32LE(at: offset)
        if FourCC.knownIDs.contains(id) { return true }
        if id & 0xFFFF == FourCC.ixTag { return FourCC.streamNumber(id >> 16) != nil }
        return FourCC.streamNumber(id) != nil && FourCC.streamTags.contains(id >> 16)
    }

    /// Drops bytes up to the next plausible chunk header at or after `from`; false when more
    /// input is needed (the last three bytes are kept, they may start a header).
    private mutating func resync(from: Int) -> Bool {
        var offset = from
        while offset + 4 <= queue.count {
            if isPlausibleChunk(at: offset) {
                skippedBytes += UInt64(offset)
                queue.consume(offset)
                state = .chunkHeader
                return true
            }
            offset += 1
        }
        let drop = max(min(offset, queue.count - 3), 0)
        skippedBytes += UInt64(drop)
        queue.consume(drop)
        state = .resync(from: offset - drop)
        return false
    }
}
