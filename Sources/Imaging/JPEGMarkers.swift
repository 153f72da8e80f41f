/// Minimal JPEG marker walking, without decoding: frame size from the SOF segment.
public enum JPEGMarkers {
    /// Width and height from the first SOFn segment, or nil when the header is unreadable.
    public static func frameSize(_ data: [UInt8]) -> (width: Int, height: Int)? {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { return nil }
        var i = 2
        while i + 3 < data.count {
            guard data[i] == 0xFF else { return nil }
            let marker = data[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            let length = Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length >= 2 else { return nil }
            let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isSOF {
                guard i + 8 < data.count else { return nil }
                let h = Int(data[i + 5]) << 8 | Int(data[i + 6])
                let w = Int(data[i + 7]) << 8 | Int(data[i + 8])
                return w > 0 && h > 0 ? (w, h) : nil
            }
            if marker == 0xDA { return nil }  // scan before any frame header
            i += 2 + length
        }
        return nil
    }
}
