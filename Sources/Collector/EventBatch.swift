import EventLog
import SightlineCore

/// The events of a `POST /v1/events` body, `{"events": [envelope, ...]}`, found without building the whole
/// body as one tree: each element is located by a light scan and parsed strictly on its own when its turn
/// comes, so a batch costs its bytes plus one event's tree, not many times its size.
struct EventBatch {
    let bytes: [UInt8]
    /// Where each element of `events` lies in `bytes`.
    let elements: [Range<Int>]

    /// Nesting allowed in a skipped value (the strict parser allows the same).
    static let maxDepth = 64
    /// Most events in one batch (the forwarder sends 100): what locating them costs stays small whatever the
    /// body holds.
    static let maxEvents = 10_000

    /// - Throws: `JSONParseError` (with its byte offset) when the body is not one JSON object with an `events`
    ///   array; members other than `events` are parsed strictly and otherwise ignored.
    init(_ bytes: [UInt8]) throws(JSONParseError) {
        self.bytes = bytes
        var scan = Scanner(bytes: bytes)
        var found: [Range<Int>]?
        scan.skipSpace()
        try scan.expect(UInt8(ascii: "{"), "expected {\"events\": [...]}")
        scan.skipSpace()
        if !scan.take(UInt8(ascii: "}")) {
            while true {
                scan.skipSpace()
                let keyStart = scan.i
                try scan.skipString()
                let key = try JSONParser.parse(Array(bytes[keyStart..<scan.i]))
                scan.skipSpace()
                try scan.expect(UInt8(ascii: ":"), "expected ':'")
                scan.skipSpace()
                if key == .string("events") {
                    guard found == nil else { throw scan.error("duplicate member \"events\"") }
                    found = try scan.arrayElements()
                } else {
                    let start = scan.i
                    try scan.skipValue()
                    do { _ = try JSONParser.parse(Array(bytes[start..<scan.i])) } catch {
                        throw JSONParseError(offset: start + error.offset, reason: error.reason)
                    }
                }
                scan.skipSpace()
                if scan.take(UInt8(ascii: "}")) { break }
                try scan.expect(UInt8(ascii: ","), "expected ',' or '}'")
            }
        }
        scan.skipSpace()
        guard scan.i == bytes.count else { throw scan.error("trailing characters") }
        guard let found else { throw JSONParseError(offset: 0, reason: "the body must be {\"events\": [...]}") }
        elements = found
    }

    /// Element `k` parsed strictly (its offsets reported within the whole body).
    func element(_ k: Int) throws(JSONParseError) -> JSONValue {
        let range = elements[k]
        do { return try JSONParser.parse(Array(bytes[range])) } catch {
            throw JSONParseError(offset: range.lowerBound + error.offset, reason: error.reason)
        }
    }

    /// A forward scan that finds where values end; it checks structure only as far as finding ends needs
    /// (strings, brackets, depth), leaving the rest to the strict parser.
    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
                i += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        mutating func expect(_ byte: UInt8, _ reason: String) throws(JSONParseError) {
            guard take(byte) else { throw error(i < bytes.count ? reason : "unexpected end") }
        }

        /// Past one string, escapes included.
        mutating func skipString() throws(JSONParseError) {
            try expect(UInt8(ascii: "\""), "expected a string")
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    i += 1
                    return
                case UInt8(ascii: "\\"): i += 2
                default: i += 1
                }
            }
            i = bytes.count
            throw error("unterminated string")
        }

        /// Past one value of any kind, with at most `maxDepth` nested containers.
        mutating func skipValue() throws(JSONParseError) {
            var closers: [UInt8] = []
            repeat {
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end") }
                switch bytes[i] {
                case UInt8(ascii: "\""): try skipString()
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard closers.count < EventBatch.maxDepth else { throw error("nesting too deep") }
                    closers.append(bytes[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                    i += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard closers.last == bytes[i] else { throw error("unexpected character") }
                    closers.removeLast()
                    i += 1
                case UInt8(ascii: ","), UInt8(ascii: ":"):
                    guard !closers.isEmpty else { throw error("unexpected character") }
                    i += 1
                default:
                    let start = i
                    while i < bytes.count, !Self.ends(bytes[i]) { i += 1 }
                    guard i > start else { throw error("unexpected character") }
                }
            } while !closers.isEmpty
        }

        /// The elements of the array at the scan position, each as a range.
        mutating func arrayElements() throws(JSONParseError) -> [Range<Int>] {
            try expect(UInt8(ascii: "["), "\"events\" must be an array")
            var out: [Range<Int>] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return out }
            while true {
                skipSpace()
                guard out.count < EventBatch.maxEvents else {
                    throw error("more than \(EventBatch.maxEvents) events in one batch")
                }
                let start = i
                try skipValue()
                out.append(start..<i)
                skipSpace()
                if take(UInt8(ascii: "]")) { return out }
                try expect(UInt8(ascii: ","), "expected ',' or ']'")
            }
        }

        /// Whether `b` ends a number or literal.
        private static func ends(_ b: UInt8) -> Bool {
            switch b {
            case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"),
                UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "{"):
                true
            default: false
            }
        }
    }
}
