import SightlineCore

/// Why a value has no RFC 8785 canonical form.
public enum CanonicalJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// NaN and the infinities are not JSON numbers.
    case nonFiniteNumber
    /// An integer beyond ±2^53 cannot round-trip through an IEEE-754 double, which RFC 8785 assumes.
    case integerOutOfRange(Int64)

    public var description: String {
        switch self {
        case .nonFiniteNumber: "a number is not finite"
        case .integerOutOfRange(let i): "the integer \(i) is beyond ±2^53, which RFC 8785 cannot represent exactly"
        }
    }
}

/// RFC 8785 (JSON Canonicalization Scheme) serialization of a `JSONValue`.
///
/// Object members are sorted by the UTF-16 code units of their names; strings are written as
/// UTF-8 with only `"`, `\` and control characters escaped; numbers use ECMAScript's
/// Number-to-String (see `CanonicalJSON.number(_:)`); no whitespace.
public enum CanonicalJSON {
    /// The largest integer magnitude that a double holds exactly (2^53).
    public static let maxExactInteger: Int64 = 9_007_199_254_740_992

    /// The canonical UTF-8 bytes of `value`.
    public static func encode(_ value: JSONValue) throws(CanonicalJSONError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try append(value, to: &out)
        return out
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) throws(CanonicalJSONError) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): try appendInteger(i, to: &out)
        case .double(let d): out.append(contentsOf: try number(d).utf8)
        case .string(let s): appendString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members): try appendObject(members, to: &out)
        }
    }

    /// Appends an object, members sorted by the UTF-16 code units of their names.
    public static func appendObject(_ members: [String: JSONValue], to out: inout [UInt8]) throws(CanonicalJSONError) {
        out.append(UInt8(ascii: "{"))
        // Names of ASCII only (nearly all) sort the same by UTF-8 bytes as by UTF-16 code units, and faster.
        let ascii = members.keys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        let sorted = members.sorted { a, b in
            ascii ? a.key.utf8.lexicographicallyPrecedes(b.key.utf8) : a.key.utf16.lexicographicallyPrecedes(b.key.utf16)
        }
        for (i, member) in sorted.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            try append(member.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends an integer in decimal, refusing one beyond ±2^53.
    public static func appendInteger(_ i: Int64, to out: inout [UInt8]) throws(CanonicalJSONError) {
        guard i >= -maxExactInteger && i <= maxExactInteger else { throw .integerOutOfRange(i) }
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var v = i.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1
            } while v > 0
            out.append(contentsOf: d[(20 - n)...])
        }
    }

    /// Appends a JSON string literal: RFC 8785 section 3.2.2.2.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// ECMAScript's Number::toString for a finite double (ECMA-262 section 7.1.12.1), as RFC 8785
    /// requires: the shortest digits that round-trip, plain notation for exponents in [-6, 21),
    /// otherwise `d.ddde±n`. Negative zero is `0`.
    public static func number(_ value: Double) throws(CanonicalJSONError) -> String {
        guard value.isFinite else { throw .nonFiniteNumber }
        if value == 0 { return "0" }
        // Swift's description gives the shortest round-tripping digits; only the layout differs.
        let (digits, exponent) = shortestDigits(abs(value))
        let k = digits.count
        let n = exponent
        var s = value < 0 ? "-" : ""
        if k <= n && n <= 21 {
            s += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            s += digits.prefix(n) + "." + digits.dropFirst(n)
        } else if -6 < n && n <= 0 {
            s += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            s += String(digits.prefix(1))
            if k > 1 { s += "." + digits.dropFirst(1) }
            s += "e" + (e < 0 ? "-" : "+") + String(abs(e))
        }
        return s
    }

    /// Decimal digits (no leading or trailing zeros) and the exponent `n` such that
    /// value = 0.digits × 10^n, from Swift's shortest round-trip description.
    static func shortestDigits(_ value: Double) -> (String, Int) {
        let text = value.description
        var mantissa = Substring(text)
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exp = Int(text[text.index(after: e)...])!
        }
        var digits: [Character] = []
        var pointAt: Int? = nil
        for c in mantissa {
            if c == "." { pointAt = digits.count } else { digits.append(c) }
        }
        var n = (pointAt ?? digits.count) + exp
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), n)
    }
}
