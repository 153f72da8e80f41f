/// Motion JPEG as Sightline keeps evidence clips: whole JPEG images one after another (the stream `mjpeg:`
/// sources read, and `ffplay -f mjpeg` plays).
public enum MotionJPEG {
    /// The media type an evidence clip is attached under.
    public static let mediaType = "video/x-motion-jpeg"

    /// Where the JPEG starting at `start` ends (just past its EOI), walking its marker segments and its
    /// entropy-coded data; nil when it is not a whole JPEG.
    public static func endOfImage(_ bytes: [UInt8], from start: Int = 0) -> Int? {
        guard start >= 0, bytes.count - start >= 4, bytes[start] == 0xFF, bytes[start + 1] == 0xD8 else { return nil }
        var i = start + 2
        var inScan = false
        while i + 1 < bytes.count {
            if inScan {
                // Entropy-coded data: FF 00 is a stuffed byte, FF D0–D7 a restart marker; any other marker ends it.
                guard bytes[i] == 0xFF else {
                    i += 1
                    continue
                }
                let next = bytes[i + 1]
                if next == 0x00 || (0xD0...0xD7).contains(next) || next == 0xFF {
                    i += next == 0xFF ? 1 : 2
                    continue
                }
                inScan = false
                continue
            }
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            if marker == 0xFF {
                i += 1  // fill byte
                continue
            }
            if marker == 0xD9 { return i + 2 }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {
                i += 2
                continue
            }
            guard i + 3 < bytes.count else { return nil }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { return nil }
            i += 2 + length
            if marker == 0xDA { inScan = true }
        }
        return nil
    }

    /// The whole JPEGs `bytes` holds, in order; nil unless it is nothing but whole JPEGs.
    public static func frames(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
        var frames: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            guard let end = endOfImage(bytes, from: start) else { return nil }
            frames.append(bytes[start..<end])
            start = end
        }
        return frames.isEmpty ? nil : frames
    }

    /// Whether `bytes` is a clip: more than one whole JPEG, back to back.
    public static func isClip(_ bytes: [UInt8]) -> Bool {
        guard let end = endOfImage(bytes), end < bytes.count else { return false }
        return frames(bytes).map { $0.count > 1 } ?? false
    }
}
