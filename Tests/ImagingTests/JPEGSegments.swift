/// Byte surgery on JPEGs for tests: where the header segments are, garbage between them, a patched
/// frame size. Works on the baseline files `JPEGEncoder` writes (SOI, APP0, DQT, SOF0, DHT, SOS).
enum JPEGSegments {
    /// Offsets of the marker of every segment before the scan data, in file order (the SOI excluded).
    static func markers(_ jpeg: [UInt8]) -> [(offset: Int, marker: UInt8)] {
        var out: [(Int, UInt8)] = []
        var i = 2
        while i + 3 < jpeg.count, jpeg[i] == 0xFF {
            let marker = jpeg[i + 1]
            out.append((i, marker))
            if marker == 0xDA { break }
            i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3]))
        }
        return out
    }

    /// `jpeg` with `bytes` inserted before each segment after the first (APP0), as some webcams emit.
    static func withBytesBetweenSegments(_ jpeg: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        var out = jpeg
        for (offset, _) in markers(jpeg).dropFirst().reversed() { out.insert(contentsOf: bytes, at: offset) }
        return out
    }

    /// `jpeg` with the frame size in its SOF0 segment replaced.
    static func withFrameSize(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
        guard let sof = markers(jpeg).first(where: { $0.marker == 0xC0 })?.offset else {
            preconditionFailure("withFrameSize needs a baseline JPEG")
        }
        var out = jpeg
        out[sof + 5] = UInt8(height >> 8); out[sof + 6] = UInt8(height & 0xFF)
        out[sof + 7] = UInt8(width >> 8); out[sof + 8] = UInt8(width & 0xFF)
        return out
    }

    /// Offset of the first byte of entropy-coded data.
    static func scanStart(_ jpeg: [UInt8]) -> Int {
        guard let sos = markers(jpeg).last, sos.marker == 0xDA else { preconditionFailure("no SOS") }
        return sos.offset + 2 + (Int(jpeg[sos.offset + 2]) << 8 | Int(jpeg[sos.offset + 3]))
    }
}
