/// Broken JPEGs made from a good one, for tests of sources and decoders. Deterministic.
public enum CorruptJPEGs {
    /// The first half of `jpeg`: SOI and part of the data, no EOI.
    public static func truncated(_ jpeg: [UInt8]) -> [UInt8] { Array(jpeg.prefix(jpeg.count / 2)) }

    /// `jpeg` with the payload of its SOF segment overwritten with 0x55 (sample precision 85,
    /// nonsense size and components); marker lengths and the EOI are intact.
    public static func garbledFrameHeader(_ jpeg: [UInt8]) -> [UInt8] {
        var out = jpeg
        guard let sof = (2..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) else {
            preconditionFailure("garbledFrameHeader needs a baseline JPEG")
        }
        let length = Int(jpeg[sof + 2]) << 8 | Int(jpeg[sof + 3])
        for i in (sof + 4)..<(sof + 2 + length) { out[i] = 0x55 }
        return out
    }

    /// `jpeg` whose first marker after SOI is replaced by two non-marker bytes, so the segment
    /// chain is broken from the start; the EOI is intact.
    public static func brokenMarkerChain(_ jpeg: [UInt8]) -> [UInt8] {
        var out = jpeg
        out[2] = 0x12
        out[3] = 0x34
        return out
    }

    /// SOI, `count` pseudo-random bytes without 0xFF (so no marker appears), EOI.
    public static func randomAfterSOI(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var out: [UInt8] = [0xFF, 0xD8]
        while out.count < count + 2 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let byte = UInt8(truncatingIfNeeded: state >> 24)
            if byte != 0xFF { out.append(byte) }
        }
        return out + [0xFF, 0xD9]
    }
}
