import SightlineCore

/// Errors reading a Netpbm image.
public enum PNMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a binary PGM (P5) or PPM (P6) file.
    case notPNM
    /// A header field is missing or not a positive number, or maxval is not 255.
    case badHeader(String)
    /// Fewer pixel bytes than the header announces.
    case truncated(expected: Int, found: Int)

    public var description: String {
        switch self {
        case .notPNM: "not a binary PGM (P5) or PPM (P6) image"
        case .badHeader(let detail): "bad PNM header: \(detail)"
        case .truncated(let expected, let found): "PNM pixel data truncated: \(found) of \(expected) bytes"
        }
    }
}

/// Binary PGM (P5, gray) and PPM (P6, RGB) images with maxval 255.
///
/// PNG belongs elsewhere; this reader exists for test fixtures and tools that exchange raw pixels.
public enum PNM {
    /// Decodes a P5 or P6 image (comments allowed in the header).
    public static func decode(_ bytes: [UInt8]) throws(PNMError) -> Image {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
              bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "6")
        else { throw .notPNM }
        let channels = bytes[1] == UInt8(ascii: "6") ? 3 : 1
        var index = 2
        var fields: [Int] = []
        while fields.count < 3 {
            while index < bytes.count, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "#") {
                if bytes[index] == UInt8(ascii: "#") {
                    while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                } else {
                    index += 1
                }
            }
            var value = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 9 {
                value = value * 10 + Int(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits > 0, value > 0 else {
                throw .badHeader(["width", "height", "maxval"][fields.count] + " is missing or zero")
            }
            fields.append(value)
        }
        guard fields[2] == 255 else { throw .badHeader("maxval \(fields[2]), only 255 is supported") }
        guard index < bytes.count, isSpace(bytes[index]) else { throw .badHeader("no whitespace after maxval") }
        index += 1
        let (width, height) = (fields[0], fields[1])
        guard width <= 1 << 15, height <= 1 << 15 else { throw .badHeader("\(width)×\(height) is too large") }
        let expected = width * height * channels
        guard bytes.count - index >= expected else { throw .truncated(expected: expected, found: bytes.count - index) }
        return Image(width: width, height: height, channels: channels, pixels: Array(bytes[index..<index + expected]))
    }

    /// Encodes an image as P5 (one channel) or P6 (three channels).
    public static func encode(_ image: Image) -> [UInt8] {
        let header = "\(image.channels == 3 ? "P6" : "P5")\n\(image.width) \(image.height)\n255\n"
        return Array(header.utf8) + image.pixels
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
