import Crypto
import EventLog
import SightlineCore
import SightlineTestKit
import Testing

/// Integer texts at the edges of the types a peer's number meets: 0, -1, 2^53±1, 2^63-1, 2^63, 2^64.
let boundaryIntegers = [
    "0", "-1", "1", "9007199254740991", "9007199254740992", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "1e400", "-0", "1.5", "abc", "",
]

/// Times at the edges of what `Int64` nanoseconds hold, and dates that do not exist.
let boundaryTimes = [
    "0000-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "1677-12-31T23:59:59Z", "1678-01-01T00:00:00Z",
    "2261-12-31T23:59:59Z", "2262-01-01T00:00:00Z", "2262-04-11T23:47:16Z", "2263-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z",
    "2024-02-31T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
    "2261-12-31T23:59:59-23:59", "1678-01-01T00:00:00+23:59", "2024-01-01T00:00:00+99:99",
    "2024-01-01T00:00:00.99999999999999999999999Z",
]

@Suite struct TimestampBoundaryTests {
    // Golden values from Python's datetime (the reference), not from this code.
    @Test func theAcceptedRangeMatchesTheReference() throws {
        #expect(try Timestamp.parse(rfc3339: "1678-01-01T00:00:00Z") == -9_214_560_000_000_000_000)
        #expect(try Timestamp.parse(rfc3339: "2261-12-31T23:59:59Z") == 9_214_646_399_000_000_000)
        #expect(try Timestamp.parse(rfc3339: "2024-02-29T12:00:00Z") == 1_709_208_000_000_000_000)
        #expect(try Timestamp.parse(rfc3339: "2100-03-01T00:00:00Z") == 4_107_542_400_000_000_000)
    }

    @Test func yearsOutsideTheRangeAreRefusedByName() {
        for (text, year) in [
            ("0000-01-01T00:00:00Z", 0), ("1677-12-31T23:59:59Z", 1677), ("2262-01-01T00:00:00Z", 2262),
            ("2263-01-01T00:00:00Z", 2263), ("9999-12-31T23:59:59Z", 9999),
        ] as [(String, Int64)] {
            #expect(throws: TimestampError.yearOutOfRange(year)) { try Timestamp.parse(rfc3339: text) }
            #expect("\(TimestampError.yearOutOfRange(year))".contains("year \(year) is outside 1678…2261"))
        }
    }

    @Test func impossibleDatesAreRefused() {
        for text in [
            "2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-02-31T00:00:00Z", "2100-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z", "2024-06-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
            "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z",
        ] {
            #expect(throws: TimestampError.impossibleDate(String(text.prefix(19)))) {
                try Timestamp.parse(rfc3339: text)
            }
        }
        #expect(Timestamp.nanos(rfc3339: "2000-02-29T00:00:00Z") != nil)
        #expect(Timestamp.nanos(rfc3339: "2024-01-01T00:00:00+24:00") == nil)
    }

    @Test func formattingIsTotalOverInt64() {
        for ns in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            let text = Timestamp.rfc3339(wallNanos: ns)
            #expect(text.count == 27 && text.hasSuffix("Z"), "\(ns) → \(text)")
        }
        #expect(Timestamp.rfc3339(wallNanos: -1) == "1969-12-31T23:59:59.999999Z")
    }

    /// Property: every instant in the accepted range formats and parses back (to the microsecond).
    @Test func randomInstantsRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x5EED_0001)
        let low = try Timestamp.parse(rfc3339: "1678-01-01T00:00:00Z")
        let high = try Timestamp.parse(rfc3339: "2261-12-31T23:59:59Z")
        for _ in 0..<5000 {
            let ns = Int64.random(in: low...high, using: &rng) / 1000 * 1000
            #expect(try Timestamp.parse(rfc3339: Timestamp.rfc3339(wallNanos: ns)) == ns)
        }
    }

    /// Property: no text traps the parser; boundary texts and random digit mutations of them.
    @Test func arbitraryTextsNeverTrap() {
        var rng = SeededGenerator(seed: 0x5EED_0002)
        var texts = boundaryTimes
        for _ in 0..<5000 {
            var bytes = Array(boundaryTimes.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let k = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[k] = Bool.random(using: &rng) ? UInt8.random(in: 48...57, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            texts.append(String(decoding: bytes, as: UTF8.self))
        }
        for text in texts {
            if let ns = Timestamp.nanos(rfc3339: text) { #expect(ns == Timestamp.nanos(rfc3339: text)) }
        }
    }
}

@Suite struct EventBoundaryTests {
    static let key = DeviceKey.generate()

    /// A signed envelope text with one field replaced by raw JSON text.
    static func envelope(seq: String = "1", time: String = "\"2026-01-01T00:00:00.000000Z\"", size: String = "1")
        -> [UInt8]
    {
        let sha = String(repeating: "a", count: 64)
        let sig = Encoding.base64([UInt8](repeating: 1, count: 64))
        return Array(
            """
            {"v":1,"device":"\(key.deviceID)","seq":\(seq),"prev":"\(Event.genesisPrev)","time":\(time),\
            "camera":"c","type":"frame.stats","body":{},\
            "evidence":[{"sha256":"\(sha)","media_type":"image/jpeg","size":\(size)}],"sig":"\(sig)"}
            """.utf8)
    }

    /// The reason an envelope is refused, or nil when it reads.
    static func refusal(_ bytes: [UInt8]) -> String? {
        do {
            _ = try Event(json: try JSONParser.parse(bytes))
            return nil
        } catch let e as EventFormatError {
            return e.reason
        } catch {
            return "\(error)"
        }
    }

    @Test func seqAndSizeBoundaries() {
        for text in boundaryIntegers {
            let reason = Self.refusal(Self.envelope(seq: text.isEmpty ? "\"\"" : text))
            let value = Int64(text)
            let valid = value.map { $0 >= 1 && $0 <= 9_007_199_254_740_992 } ?? false
            #expect((reason == nil) == valid, "seq \(text): \(reason ?? "accepted")")
            if !valid, let reason, Int64(text) != nil { #expect(reason.contains("seq must be an integer from 1")) }
            let sizeReason = Self.refusal(Self.envelope(size: text.isEmpty ? "\"\"" : text))
            let sizeValid = value.map { $0 >= 0 && $0 <= 9_007_199_254_740_992 } ?? false
            #expect((sizeReason == nil) == sizeValid, "size \(text): \(sizeReason ?? "accepted")")
        }
    }

    @Test func timeBoundariesAreRefusedWithTheirReason() {
        for text in boundaryTimes {
            let reason = Self.refusal(Self.envelope(time: "\"\(text)\""))
            #expect((reason == nil) == (Timestamp.nanos(rfc3339: text) != nil), "\(text): \(reason ?? "accepted")")
        }
        #expect(Self.refusal(Self.envelope(time: "\"9999-12-31T23:59:59Z\""))?.contains("year 9999") == true)
        #expect(Self.refusal(Self.envelope(time: "\"2026-02-31T00:00:00Z\""))?.contains("not a date") == true)
    }

    /// F22: no internal Swift names in the reasons.
    @Test func reasonsNameNoSwiftInternals() {
        let e = CanonicalJSONError.integerOutOfRange(9_007_199_254_740_993)
        #expect("\(e)" == "the integer 9007199254740993 is beyond ±2^53, which RFC 8785 cannot represent exactly")
        #expect(!"\(CanonicalJSONError.nonFiniteNumber)".contains("nonFinite"))
    }

    /// F24: `verify` of an export with a year-9999 line reports it malformed (it trapped).
    @Test func chainVerifierReportsYear9999Malformed() throws {
        let log = Self.key
        var e = Event(
            device: log.deviceID, seq: 1, prev: Event.genesisPrev, time: "9999-12-31T23:59:59.000000Z", camera: "c",
            type: "frame.stats", body: [:])
        e.sig = log.sign(try e.canonicalBytes())
        var verifier = ChainVerifier(publicKey: log.privateKey.publicKey)
        let line = try e.line()
        do {
            _ = try verifier.check(line: line, lineNumber: 1)
            Issue.record("a year-9999 event verified")
        } catch {
            #expect(error.kind == .malformed && error.message.contains("year 9999"), "\(error)")
        }
    }

    /// Property: random mutations of an envelope never trap the parser or `Event(json:)`.
    @Test func mutatedEnvelopesNeverTrap() {
        var rng = SeededGenerator(seed: 0x5EED_0003)
        let base = Self.envelope()
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let k = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[k] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: k)
                default:
                    bytes.insert(contentsOf: Array(boundaryIntegers.randomElement(using: &rng)!.utf8), at: k)
                }
                if bytes.isEmpty { break }
            }
            if Self.refusal(bytes) == nil { accepted += 1 }
        }
        #expect(accepted < 3000)
    }
}
