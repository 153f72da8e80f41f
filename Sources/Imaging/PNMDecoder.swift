import SightlineCore

/// Reads binary PGM (P5, gray) and PPM (P6, RGB) images with 8-bit samples (maxval 255), comments allowed.
public enum PNMDecoder {
    /// Whether `data` starts like a binary PGM or PPM.
    public static func isPNM(_ data: [UInt8]) -> Bool {
        data.count > 2 && data[0] == UInt8(ascii: "P") && (data[1] == UInt8(ascii: "5") || data[1] == UInt8(ascii: "6"))
    }

    /// Decodes the image, or returns nil when the header is malformed or the pixel data is short.
    public static func decode(_ data: [UInt8]) -> Image? {
        guard isPNM(data) else { return nil }
        var index = 2
        var fields: [Int] = []
        while fields.count < 3 {
            while index < data.count {
                if data[index] == UInt8(ascii: "#") {
                    while index < data.count, data[index] != 0x0A { index += 1 }
                } else if [0x20, 0x09, 0x0A, 0x0D].contains(data[index]) {
                    index += 1
                } else {
                    break
                }
            }
            var value = 0
            let start = index
            while index < data.count, (0x30...0x39).contains(data[index]), value < 1 << 20 {
                value = value * 10 + Int(data[index] - 0x30)
                index += 1
            }
            guard index > start else { return nil }
            fields.append(value)
        }
        index += 1  // the single whitespace byte after maxval
        let channels = data[1] == UInt8(ascii: "6") ? 3 : 1
        let (width, height) = (fields[0], fields[1])
        guard fields[2] == 255, width > 0, height > 0, data.count - index >= width * height * channels else { return nil }
        return Image(width: width, height: height, channels: channels,
                     pixels: Array(data[index..<index + width * height * channels]))
    }
}
