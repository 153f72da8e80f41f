/// RIFF FourCCs as little-endian `UInt32`s, the way they are read from the file.
enum FourCC {
    static func code(_ s: StaticString) -> UInt32 {
        precondition(s.utf8CodeUnitCount == 4, "a FourCC has four characters")
        let p = s.utf8Start
        return UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    static let riff = code("RIFF")
    static let avi = code("AVI ")
    static let avix = code("AVIX")
    static let list = code("LIST")
    static let movi = code("movi")
    static let avih = code("avih")
    static let strh = code("strh")
    static let strf = code("strf")
    static let vids = code("vids")
    static let idx1 = code("idx1")
    static let junk = code("JUNK")
    static let headerChunks: Set<UInt32> = [avih, strh, strf]
    /// Lists whose children are read; any other list is skipped whole.
    static let enteredLists: Set<UInt32> = [code("hdrl"), code("strl"), movi, code("rec ")]
    /// Ids that are not stream chunks but can follow one inside `movi`.
    static let knownIDs: Set<UInt32> = [list, riff, idx1, junk, code("JUNQ")]
    /// Upper halves of stream chunk ids: `dc` compressed video, `db` uncompressed video,
    /// `wb` audio, `pc` palette change, `tx` text.
    static let dcTag = code("00dc") >> 16
    static let dbTag = code("00db") >> 16
    static let streamTags: Set<UInt32> = [dcTag, dbTag, code("00wb") >> 16, code("00pc") >> 16, code("00tx") >> 16]
    /// Lower half of OpenDML index chunk ids (`ix00`).
    static let ixTag = code("ix00") & 0xFFFF
    /// Compression FourCCs of Motion JPEG flavours that libjpeg decodes frame by frame.
    static let mjpegCodecs: Set<String> = ["MJPG", "mjpg", "JPEG", "jpeg", "AVRn", "AVDJ", "dmb1", "MJPA", "mjpa",
                                           "LJPG", "JPGL", "IJPG", "ACDV", "QIVG", "SLMJ"]

    /// Stream number from the two ASCII digits in the low half of `id`, or nil.
    static func streamNumber(_ id: UInt32) -> Int? {
        let d0 = Int(id & 0xFF) - 48, d1 = Int((id >> 8) & 0xFF) - 48
        guard (0...9).contains(d0), (0...9).contains(d1) else { return nil }
        return d0 * 10 + d1
    }

    /// Whether all four bytes are printable ASCII, as every RIFF id is.
    static func isPrintable(_ id: UInt32) -> Bool {
        (0..<4).allSatisfy { (0x20...0x7E).contains((id >> ($0 * 8)) & 0xFF) }
    }

    /// `idx1`, `ixNN` and `JUNK`: chunks that may legitimately be larger than any frame.
    static func isIndexOrJunk(_ id: UInt32) -> Bool {
        id == idx1 || id == junk || (id & 0xFFFF == ixTag && streamNumber(id >> 16) != nil)
    }

    static func string(_ id: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: id >> ($0 * 8)) }
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            return "0x" + String(id, radix: 16)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension AVIParser {
    /// Reads the fields Sightline needs from `avih`, `strh` and `strf`; the chunk's data starts
    /// at offset 8 of the queue and is `size` bytes long. Short or odd headers are ignored.
    mutating func readHeaderChunk(id: UInt32, size: Int) {
        func u32(_ offset: Int) -> UInt32 { queue.uint32LE(at: 8 + offset) }
        switch id {
        case FourCC.avih where size >= 40:
            microsecondsPerFrame = u32(0)
            if width == 0 { width = Int(u32(32)); height = Int(u32(36)) }
        case FourCC.strh where size >= 28:
            let stream = streamCount
            streamCount += 1
            lastStreamWasVideo = u32(0) == FourCC.vids && videoStream == nil
            guard lastStreamWasVideo else { return }
            videoStream = stream
            let scale = u32(20), rate = u32(24)
            if scale > 0 && rate > 0 { streamRate = Double(rate) / Double(scale) }
        case FourCC.strf where size >= 20 && lastStreamWasVideo:
            lastStreamWasVideo = false
            let w = Int(Int32(bitPattern: u32(4))), h = Int(Int32(bitPattern: u32(8)))
            if w > 0 { width = w; height = abs(h) }
            videoCodec = FourCC.string(u32(16))
        default:
            break
        }
    }
}
