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
        var out: [UInt8] = []
        appendBase64(Array(bytes), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let base64Digits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends standard base64 with padding (RFC 4648 section 4) of `bytes` to `out`.
    public static func appendBase64(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var k = 0
        while k + 3 <= bytes.count {
            let v = UInt32(bytes[k]) << 16 | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2])
            out.append(base64Digits[Int(v >> 18)])
            out.append(base64Digits[Int(v >> 12 & 63)])
            out.append(base64Digits[Int(v >> 6 & 63)])
            out.append(base64Digits[Int(v & 63)])
            k += 3
        }
        switch bytes.count - k {
        case 1:
            let v = UInt32(bytes[k]) << 16
            out.append(base64Digits[Int(v >> 18)])
            out.append(base64Digits[Int(v >> 12 & 63)])
            out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 2:
            let v = UInt32(bytes[k]) << 16 | UInt32(bytes[k + 1]) << 8
            out.append(base64Digits[Int(v >> 18)])
            out.append(base64Digits[Int(v >> 12 & 63)])
            out.append(base64Digits[Int(v >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        default: break
        }
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
