internal import CV4L2
import SightlineCore

/// A V4L2 pixel format code: four ASCII characters packed little-endian (`v4l2_fourcc`).
public struct V4L2FourCC: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// From four characters, e.g. `V4L2FourCC("MJPG")`. Precondition: exactly four ASCII characters.
    public init(_ code: String) {
        let bytes = Array(code.utf8)
        precondition(bytes.count == 4, "a fourcc has four characters")
        rawValue = bytes.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    public static let mjpeg = V4L2FourCC(rawValue: CV4L2_PIX_FMT_MJPEG)
    public static let jpeg = V4L2FourCC(rawValue: CV4L2_PIX_FMT_JPEG)
    public static let yuyv = V4L2FourCC(rawValue: CV4L2_PIX_FMT_YUYV)
    public static let grey = V4L2FourCC(rawValue: CV4L2_PIX_FMT_GREY)
    public static let nv12 = V4L2FourCC(rawValue: CV4L2_PIX_FMT_NV12)
    /// Planar 4:2:0, `V4L2_PIX_FMT_YUV420` (fourcc `YU12`).
    public static let yu12 = V4L2FourCC(rawValue: CV4L2_PIX_FMT_YUV420)

    /// The order Sightline prefers: compressed first (a USB 2 camera sends far higher
    /// resolutions and rates as MJPEG, and decoding can be DCT-scaled), then packed YUYV, then
    /// the formats a few embedded sensors offer.
    public static let preferenceOrder: [V4L2FourCC] = [.mjpeg, .jpeg, .yuyv, .grey, .nv12, .yu12]

    /// Whether frames of this format are JPEG images.
    public var isJPEG: Bool { self == .mjpeg || self == .jpeg }

    /// The raw layout of this format, nil for JPEG and for formats Sightline cannot read.
    public var pixelFormat: PixelFormat? {
        switch self {
        case .yuyv: return .yuyv
        case .grey: return .gray
        case .nv12: return .nv12
        case .yu12: return .i420
        default: return nil
        }
    }

    /// The four characters, e.g. `MJPG`; non-printable bytes as `?`.
    public var description: String {
        String((0..<4).map { i -> Character in
            let byte = UInt8(truncatingIfNeeded: rawValue >> (8 * UInt32(i)))
            return (0x20..<0x7f).contains(byte) ? Character(UnicodeScalar(byte)) : "?"
        })
    }

    /// Encoded as the four-character string, which is what people grep for.
    public init(from decoder: Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard code.utf8.count == 4 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "fourcc '\(code)' is not four characters"))
        }
        self.init(code)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
