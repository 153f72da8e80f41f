import Crypto
import EventLog
import Foundation
import SightlineTestKit
import Logging
import SightlineCore
import Testing

/// The envelope written straight in member order (`EnvelopeParts`, what the edge log and the collector use on
/// every event) must give exactly the bytes of the generic RFC 8785 encoder over the envelope's `JSONValue`, which
/// the RFC's own vectors check (`CanonicalJSONTests`).
struct EnvelopeEncodingTests {
    /// Events of many shapes: escapes and non-ASCII in every string, names that sort differently in UTF-16 than
    /// in UTF-8, nested bodies, numbers at the edges, evidence, seqs up to 2^53.
    static func events() -> [Event] {
        var rng = SystemRandomNumberGenerator()
        let strings = [
            "", "gate", "quote\"back\\slash", "tab\tnew\nline\u{1}\u{1f}", "caf\u{e9}", "\u{10437}\u{ffff}",
            "\u{e000}", "sl-0123456789abcdef",
        ]
        let bodies: [[String: JSONValue]] = [
            [:],
            ["width": .int(1280), "height": .int(720), "luma_mean": .double(117.42), "luma_stddev": .double(51.07)],
            ["\u{10437}": .int(1), "\u{e000}": .int(2), "a": .null, "B": .bool(true), "b": .bool(false)],
            ["nested": .object(["z": .array([.int(-9_007_199_254_740_992), .double(1e-7), .double(1e21)]),
                                "a": .string("x\"y")]), "pts": .double(-0.0), "n": .int(9_007_199_254_740_992)],
            ["e": .array([]), "o": .object([:]), "d": .double(5e-324), "m": .double(1.7976931348623157e308)],
        ]
        var out: [Event] = []
        for (k, body) in bodies.enumerated() {
            for (j, s) in strings.enumerated() {
                let evidence = (0..<(j % 3)).map { n in
                    EvidenceRef(
                        sha256: Encoding.hex(SHA256.hash(data: [UInt8(n), UInt8(j)])), mediaType: s.isEmpty ? "image/jpeg" : s,
                        size: n * 1000 + j)
                }
                let seqs: [UInt64] = [1, UInt64(k * 100 + j + 2), 9_007_199_254_740_992]
                let sig = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
                out.append(
                    Event(
                        device: j % 2 == 0 ? "sl-\(s)" : s, seq: seqs[(k + j) % 3],
                        prev: Encoding.hex(SHA256.hash(data: Array(s.utf8))), time: "2026-12-05T16:45:54.123456Z",
                        camera: s, type: strings[(j + 1) % strings.count].isEmpty ? "frame.stats" : strings[(j + 1) % strings.count],
                        body: body, evidence: evidence, sig: sig))
            }
        }
        return out
    }

    @Test func canonicalBytesAndLinesMatchTheGenericEncoder() throws {
        for event in Self.events() {
            #expect(try event.canonicalBytes() == CanonicalJSON.encode(event.unsignedJSON), "\(event)")
            #expect(try event.line() == CanonicalJSON.encode(event.json), "\(event)")
            let both = try event.canonicalBytesAndLine()
            let canonical = try event.canonicalBytes()
            let line = try event.line()
            #expect(both.canonical == canonical && both.line == line)
        }
    }

    @Test func aSeqBeyond2To53HasNoCanonicalForm() {
        var event = Self.events()[0]
        event.seq = 9_007_199_254_740_993
        #expect(throws: CanonicalJSONError.self) { try event.canonicalBytes() }
        #expect(throws: CanonicalJSONError.self) { try event.line() }
    }

    /// Base64 written by hand for the line's `sig`, checked against Foundation's at every length remainder.
    @Test func base64MatchesFoundation() {
        var rng = SystemRandomNumberGenerator()
        for count in 0..<70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(Encoding.base64(bytes) == Data(bytes).base64EncodedString())
            #expect(Encoding.bytes(base64: Encoding.base64(bytes)) == bytes)
        }
    }

    /// Event times against Foundation's calendar arithmetic (seconds) and the nanoseconds' own digits.
    @Test func eventTimesMatchFoundation() {
        var rng = SystemRandomNumberGenerator()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let samples: [Int64] = [0, 1, 999, 1_000, 1_764_950_754_123_456_789, -1, -1_000_001, 951_782_400_000_000_000]
            + (0..<200).map { _ in Int64.random(in: -5_000_000_000_000_000_000...7_000_000_000_000_000_000, using: &rng) }
        for nanos in samples {
            let micros = nanos >= 0 ? nanos / 1000 : (nanos - 999) / 1000
            let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            let fraction = micros - seconds * 1_000_000
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
                + "." + String(repeating: "0", count: 6 - String(fraction).count) + String(fraction) + "Z"
            #expect(Timestamp.rfc3339(wallNanos: nanos) == expected, "\(nanos)")
        }
    }
}

/// The edge log keeps its head in memory between commits; a commit whose head the spool no longer has (another
/// writer moved it) fails alone, and the next emit starts again from the spool's head, so the chain never forks.
struct EventLogRecoveryTests {
    @Test func aCommitOnAMovedHeadFailsAndTheNextEmitContinuesTheChain() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        let configuration = EventLogConfiguration(stateDirectory: dir, checkpointEvery: 1000)
        let first = try EventLog(configuration: configuration, key: key, logger: Logger(label: "test"))
        let second = try EventLog(configuration: configuration, key: key, logger: Logger(label: "test"))
        #expect(try first.emit(camera: "a", type: "frame.stats", body: [:]).seq == 1)
        // `second` read the head before seq 1 was written: its event 1 would fork the chain.
        #expect(throws: SpoolError.self) { try second.emit(camera: "b", type: "frame.stats", body: [:]) }
        let next = try second.emit(camera: "b", type: "frame.stats", body: [:])
        #expect(next.seq == 2)
        let all = try first.spool.allEvents()
        #expect(all.map(\.seq) == [1, 2])
        var verifier = ChainVerifier(publicKey: key.privateKey.publicKey)
        for (n, spooled) in all.enumerated() { _ = try verifier.check(line: spooled.line, lineNumber: n + 1) }
    }
}
