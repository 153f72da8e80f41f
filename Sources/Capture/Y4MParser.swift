import SightlineCore

/// Reads YUV4MPEG2 (`.y4m`) streams, as `ffmpeg -f yuv4mpegpipe` and many test tools write them,
/// into raw `i420` or `gray` frames.
///
/// The stream header gives `W`, `H`, `F` (rate as `num:den`) and `C` (colour space; `420jpeg`,
/// `420`, `420paldv` and `420mpeg2` differ only in chroma siting and all map to `i420`; `mono`
/// maps to `gray`; absent means `420jpeg`). Other colour spaces (`444`, `422`, high bit depth)
/// are rejected with a `FootageFormatError`, as is anything that is not `FRAME` where a frame
/// header must be: the format has no way to resynchronise. A frame cut by the end of input is
/// counted corrupt.
public struct Y4MParser: FootageParser {
    public static let formatName = "y4m"

    /// Longest header line accepted; real headers are well under 100 bytes.
    static let maxHeaderLine = 4096

    /// The stream's picture layout, known once the header was read.
    public struct Header: Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Frames per second, nil when `F` is absent or `0:0`.
        public var frameRate: Double?
        public var format: PixelFormat
        /// The `C` parameter as written (`420jpeg` when absent).
        public var colourSpace: String
    }

    private enum State { case streamHeader, frameHeader, frameData }

    private var queue = ByteQueue()
    private var state = State.streamHeader
    private var finished = false
    private var frameBytes = 0
    private var index = 0
    /// Largest frame accepted, in bytes.
    public let maxFrameBytes: Int
    public private(set) var header: Header?
    public private(set) var corruptFrames: UInt64 = 0
    /// Y4M has nothing to skip; always 0.
    public private(set) var skippedBytes: UInt64 = 0

    public var frameRate: Double? { header?.frameRate }

    public init(maxFrameBytes: Int = 32 << 20) {
        precondition(maxFrameBytes >= 1, "frames need at least one byte")
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
            case .streamHeader:
                let magic = Array("YUV4MPEG2".utf8)
                if queue.count >= magic.count && queue.copy(from: 0, count: magic.count) != magic {
                    throw FootageFormatError("not a YUV4MPEG2 stream (bad magic)")
                }
                guard let line = try takeLine(limit: Self.maxHeaderLine, what: "stream header") else {
                    return waitOrEnd()
                }
                let parsed = try Self.parseStreamHeader(line)
                let size = parsed.format.frameByteCount(width: parsed.width, height: parsed.height)
                guard size <= maxFrameBytes else {
                    throw FootageFormatError("\(parsed.width)x\(parsed.height) frames of \(size) bytes exceed the "
                                             + "\(maxFrameBytes)-byte frame limit")
                }
                header = parsed
                frameBytes = size
                state = .frameHeader
            case .frameHeader:
                guard queue.count >= 5 || finished else { return nil }
                guard queue.count >= 5 else { return waitOrEnd() }
                guard queue.copy(from: 0, count: 5) == Array("FRAME".utf8) else {
                    throw FootageFormatError("expected a FRAME header before frame \(index + 1)")
                }
                guard try takeLine(limit: 1024, what: "FRAME header") != nil else { return waitOrEnd() }
                state = .frameData
            case .frameData:
                guard queue.count >= frameBytes else { return waitOrEnd() }
                let bytes = queue.copy(from: 0, count: frameBytes)
                queue.consume(frameBytes)
                state = .frameHeader
                let header = header!
                defer { index += 1 }
                return FootageFrame(index: index, payload: .raw(format: header.format, width: header.width,
                                                                height: header.height, bytes: bytes))
            }
        }
    }

    /// Nil while more input may come; at the end of input, counts a frame left open as corrupt.
    private mutating func waitOrEnd() -> FootageFrame? {
        guard finished else { return nil }
        if queue.count > 0 && state != .streamHeader { corruptFrames += 1 }
        if state == .frameData { state = .frameHeader }
        queue.removeAll()
        return nil
    }

    /// Removes and returns one `\n`-terminated line (without the newline), nil when incomplete.
    private mutating func takeLine(limit: Int, what: String) throws(FootageFormatError) -> [UInt8]? {
        let end = min(queue.count, limit)
        guard let newline = queue.firstIndex(of: 0x0A, from: 0, to: end) else {
            if queue.count >= limit { throw FootageFormatError("\(what) longer than \(limit) bytes") }
            return nil
        }
        let line = queue.copy(from: 0, count: newline)
        queue.consume(newline + 1)
        return line
    }

    /// Parses `YUV4MPEG2 W.. H.. F..:.. C..` (other parameters are accepted and ignored).
    static func parseStreamHeader(_ line: [UInt8]) throws(FootageFormatError) -> Header {
        let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
        guard let magic = fields.first, Array(magic) == Array("YUV4MPEG2".utf8) else {
            throw FootageFormatError("not a YUV4MPEG2 stream (bad magic)")
        }
        var width = 0, height = 0
        var rate: Double?
        var colour = "420jpeg"
        for field in fields.dropFirst() {
            let value = String(decoding: field.dropFirst(), as: UTF8.self)
            switch field.first {
            case UInt8(ascii: "W"): width = Int(value) ?? 0
            case UInt8(ascii: "H"): height = Int(value) ?? 0
            case UInt8(ascii: "F"):
                let parts = value.split(separator: ":")
                guard parts.count == 2, let num = UInt32(parts[0]), let den = UInt32(parts[1]) else {
                    throw FootageFormatError("bad frame rate 'F\(value)' (expected F<num>:<den>)")
                }
                rate = num > 0 && den > 0 ? Double(num) / Double(den) : nil
            case UInt8(ascii: "C"): colour = value
            default: break  // I (interlacing), A (aspect), X (extensions)
            }
        }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw FootageFormatError("bad picture size W\(width) H\(height)")
        }
        let format: PixelFormat
        switch colour {
        case "420jpeg", "420", "420paldv", "420mpeg2": format = .i420
        case "mono": format = .gray
        default:
            throw FootageFormatError("colour space C\(colour) is not supported (only 4:2:0 and mono 8-bit)")
        }
        return Header(width: width, height: height, frameRate: rate, format: format, colourSpace: colour)
    }
}
