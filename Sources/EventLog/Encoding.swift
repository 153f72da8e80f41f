import Foundation

/// Lowercase hex and standard base64, the two text forms of bytes in the event schema.
public enum Encoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hexadecimal of `bytes`.
    public static func hex<B: Sequence>(_ bytes: B) -> String where B.Element == UInt8 {
        var out: [UInt8] = []
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hexadecimal string (either case), or nil when it is not one.
    public static func bytes(hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var k = 0
        while k < u.count {
            guard let h = nibble(u[k]), let l = nibble(u[k + 1]) else { return nil }
            out.append(h << 4 | l)
            k += 2
        }
        return out
    }

    /// Standard base64 with padding.
    public static func base64<B: Sequence>(_ bytes: B) -> String where B.Element == UInt8 {
        Data(bytes).base64EncodedString()
    }

    /// Bytes of a standard base64 string, or nil.
    public static func bytes(base64: String) -> [UInt8]? {
        Data(base64Encoded: base64).map { [UInt8]($0) }
    }

    /// Whether `s` is 64 lowercase hex digits (a SHA-256 name).
    public static func isSHA256Hex(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
