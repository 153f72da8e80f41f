import Collector
import EventLog
import Foundation
import NIOHTTP1
import SightlineCore
import SightlineTestKit
import Testing

/// Integer texts at the edges of the types a peer's number meets.
let boundaryIntegers = [
    "0", "-1", "1", "9007199254740991", "9007199254740992", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "1e400", "1.5", "abc", "",
]

let boundaryTimes = [
    "0000-01-01T00:00:00Z", "1677-12-31T23:59:59Z", "1678-01-01T00:00:00Z", "2261-12-31T23:59:59Z",
    "2262-04-12T00:00:00Z", "2263-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-02-31T00:00:00Z",
]

/// The review's attacks (F1–F3, F5, F7, F8, F22) against a real collector on loopback: nothing a client
/// sends crashes it, and every refusal is JSON with a code and a readable message.
@Suite(.serialized) struct HostileRequestTests {
    /// A signed event of `key` with `time` (F1: a year after 2262 trapped before the device was looked up).
    static func event(_ key: DeviceKey, seq: UInt64 = 1, time: String) throws -> [UInt8] {
        var e = Event(
            device: key.deviceID, seq: seq, prev: Event.genesisPrev, time: time, camera: "c", type: "frame.stats",
            body: [:])
        e.sig = key.sign(try e.canonicalBytes())
        return try e.line()
    }

    static func expectRefusal(
        _ r: (status: Int, json: JSONValue), _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, "\(r.json)", sourceLocation: sourceLocation)
        #expect(r.json["error"]?["code"]?.string == code, "\(r.json)", sourceLocation: sourceLocation)
        let message = r.json["error"]?["message"]?.string ?? ""
        #expect(!message.isEmpty, sourceLocation: sourceLocation)
        for swiftName in ["integerOutOfRange", "badPublicKey", "Optional(", "EventFormatError"] {
            #expect(!message.contains(swiftName), "\(message)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Backend.all)
    func eventTimesAtTheEdgesAreRefusedNotFatal(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let registered = try await collector.registerDevice()
        for time in boundaryTimes {
            for (key, known) in [(registered, true), (DeviceKey.generate(), false)] {
                let r = try await collector.json(.POST, "/v1/events", body: batch([try Self.event(key, time: time)]))
                if Timestamp.nanos(rfc3339: time) == nil {
                    Self.expectRefusal(r, 400, "malformed_event")
                    #expect(r.json["error"]?["message"]?.string?.contains("time:") == true)
                } else {
                    // Seq 1 again with another time is a conflicting duplicate once one was stored.
                    #expect(known ? [200, 409].contains(r.status) : r.status == 403, "\(time): \(r.json)")
                }
            }
        }
        #expect(try await collector.json(.GET, "/healthz").status == 200)
        try await collector.store.close()
    }

    /// F2, F22: every query parameter of `/v1/events` with boundary and random values.
    @Test(arguments: Backend.all)
    func eventQueryParametersNeverTrap(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        var rng = SeededGenerator(seed: 0x5EED_0010)
        var cases: [(String, String)] = []
        for name in ["limit", "cursor"] { for v in boundaryIntegers { cases.append((name, v)) } }
        for name in ["since", "until"] { for v in boundaryTimes + ["not-a-time", ""] { cases.append((name, v)) } }
        for _ in 0..<40 {
            let name = ["limit", "cursor", "since", "until", "device", "camera", "type"].randomElement(using: &rng)!
            let raw = (0..<Int.random(in: 0...24, using: &rng)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &rng)))
            }
            cases.append((name, String(raw)))
        }
        for (name, value) in cases {
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let r = try await collector.json(.GET, "/v1/events?\(name)=\(encoded)")
            if r.status == 200 {
                #expect(r.json["events"] != nil)
            } else {
                Self.expectRefusal(r, 400, "bad_query")
            }
            switch name {
            case "limit": #expect((r.status == 200) == ((Int(value) ?? 0) >= 1), "limit=\(value)")
            case "cursor": #expect((r.status == 200) == (Int64(value) != nil), "cursor=\(value)")
            case "since", "until":
                #expect((r.status == 200) == (Timestamp.nanos(rfc3339: value) != nil), "\(name)=\(value)")
            default: break
            }
        }
        #expect(try await collector.json(.GET, "/healthz").status == 200)
        try await collector.store.close()
    }

    /// From an attack on `/proof`: a repeated parameter is refused (the first counted, and a proxy in front may have
    /// read the other), and a very long query or another method on the route (or an unknown route) is answered in the
    /// API's JSON shape.
    @Test func theProofRouteRefusesRepeatsAndAnswersJSON() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, _) = try await ProofTests.device(collector, count: 20)
        let proof = "/v1/devices/\(device)/proof"
        #expect(try await collector.json(.GET, "\(proof)?seq=5&size=9").status == 200)
        // A name with percent-escapes is the same name to a proxy or cache in front (found by an attack run).
        for query in ["seq=5&seq=6", "seq=5&seq=5", "seq=5&size=9&size=10", "size=9&seq=5&size=9", "seq=5&s%65q=6",
                      "%73%65%71=5&size=9&seq=6", "seq=5&size=9&%73ize=10"] {
            let r = try await collector.json(.GET, "\(proof)?\(query)")
            Self.expectRefusal(r, 400, "bad_query")
            #expect(r.json["error"]?["message"]?.string?.contains("given 2 times") == true, "\(query): \(r.json)")
        }
        // Over the HTTP decoder's 80 KiB: refused before any route, still in JSON.
        let long = try await collector.request(.GET, "\(proof)?seq=5&pad=" + String(repeating: "a", count: 100_000))
        #expect(long.status == 400)
        let refusal = try? JSONParser.parse(long.body)
        #expect(refusal?["error"]?["code"]?.string == "bad_request", "\(String(decoding: long.body, as: UTF8.self))")
        for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH] {
            Self.expectRefusal(try await collector.json(method, "\(proof)?seq=5"), 404, "not_found")
        }
        Self.expectRefusal(try await collector.json(.GET, "/v1/no-such-route"), 404, "not_found")
        try await collector.store.close()
    }

    /// Text parameters given twice are refused like numbers (the attack run's leftover): which device's events, or
    /// which type, would otherwise depend on which copy a proxy in front and the collector each read.
    @Test func repeatedTextParametersAreRefused() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, _) = try await ProofTests.device(collector, count: 3)
        #expect(try await collector.json(.GET, "/v1/events?device=\(device)").status == 200)
        #expect(try await collector.request(.GET, "/v1/export?device=\(device)").status == 200)  // JSON lines
        for path in ["/v1/events?device=\(device)&device=other", "/v1/events?type=a&t%79pe=b",
                     "/v1/events?since=2026-01-01T00:00:00Z&since=2027-01-01T00:00:00Z",
                     "/v1/export?device=\(device)&d%65vice=other", "/v1/export?device=\(device)&evidence=1&evidence=0",
                     "/v1/incidents?source=device&source=network"] {
            let r = try await collector.json(.GET, path, admin: path.hasPrefix("/v1/incidents"))
            Self.expectRefusal(r, 400, "bad_query")
            #expect(r.json["error"]?["message"]?.string?.contains("given 2 times") == true, "\(path): \(r.json)")
        }
        try await collector.store.close()
    }

    /// Found by an attack run: a body the HTTP decoder refuses (a chunk size that is not hex, a transfer coding it
    /// does not know) surfaced as an error of the route reading it, and was answered 500 `internal_error` and logged
    /// as `request failed` at error level: any client could fill the operator's log, and was told to retry.
    @Test func aBodyTheDecoderRefusesIsTheClientsBadRequest() async throws {
        let capture = LogCapture()
        let collector = try await LiveCollector(backend: .sqlite)
        collector.logCapture = capture
        try await collector.start()
        defer { Task { await collector.stop() } }
        let head = "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
        for request in [
            head + "Transfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\nZZ\r\n",
            head + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        ] {
            let connection = try #require(ResourceBoundTests.RawConnection(port: collector.port))
            #expect(connection.send(request))
            let reply = await connection.readAll()
            #expect(reply.hasPrefix("HTTP/1.1 400 "), "\(reply)")
            #expect(reply.contains(#""code":"bad_request""#), "\(reply)")
        }
        #expect(capture.all.filter { $0.contains("request failed") } == [])
    }

    /// F3, F10: `/proof` and `/checkpoints` with boundary seq, size, cursor and limit.
    @Test(arguments: Backend.all)
    func proofAndCheckpointParametersNeverTrap(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend) { $0.maxProofLeaves = 1000 }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 3)
        for i in 0..<7 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        #expect(try await collector.json(.POST, "/v1/events", body: batch(try log.spool.allEvents().map(\.line))).status == 200)
        let device = key.deviceID
        for seq in boundaryIntegers + ["2"] {
            for size in boundaryIntegers + ["5", "2000"] {
                let r = try await collector.json(.GET, "/v1/devices/\(device)/proof?seq=\(seq)&size=\(size)")
                if r.status == 200 {
                    #expect(r.json["tree_size"]?.int == Int64(size) && r.json["seq"]?.int == Int64(seq))
                } else {
                    #expect([400, 404].contains(r.status), "seq=\(seq) size=\(size): \(r.json)")
                    #expect(r.json["error"]?["message"]?.string?.isEmpty == false)
                }
            }
        }
        // Beyond the stored tree (and the configured bound): not found, before any leaf is read.
        let big = try await collector.json(.GET, "/v1/devices/\(device)/proof?seq=1&size=1001")
        Self.expectRefusal(big, 404, "not_found")
        for v in boundaryIntegers {
            for name in ["cursor", "limit"] {
                let r = try await collector.json(.GET, "/v1/devices/\(device)/checkpoints?\(name)=\(v)")
                #expect([200, 400].contains(r.status), "\(name)=\(v)")
            }
        }
        let page = try await collector.json(.GET, "/v1/devices/\(device)/checkpoints?limit=1")
        #expect(page.json["checkpoints"]?.array.count == 1 && page.json["next_cursor"]?.string != nil)
        #expect(try await collector.json(.GET, "/healthz").status == 200)
        try await collector.store.close()
    }

    /// F7: a seq above 2^53 never turns a reply or the incident list into `{}`.
    @Test(arguments: Backend.all)
    func hugeSeqsStillGiveProperBodies(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let stranger = DeviceKey.generate()
        let text = String(decoding: try Self.event(stranger, time: "2026-01-01T00:00:00Z"), as: UTF8.self)
        for seq in ["1152921504606846976", "9223372036854775807", "9007199254740993"] {
            let body = Array(text.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":\(seq)").utf8)
            let r = try await collector.json(.POST, "/v1/events", body: batch([body]))
            Self.expectRefusal(r, 400, "malformed_event")
            #expect(r.json["error"]?["message"]?.string?.contains("seq") == true)
        }
        // An incident stored with such a seq (by an older collector) is listed, its seq as a string.
        try await collector.store.recordIncident(
            Incident(device: "old", seq: 1 << 60, code: "unknown_device", message: "m", receivedNanos: 1))
        let list = try await collector.json(.GET, "/v1/incidents", admin: true)
        #expect(list.status == 200)
        #expect(list.json["incidents"]?.array.contains { $0["seq"]?.string == String(UInt64(1) << 60) } == true)
        try await collector.store.close()
    }

    /// F5, F22: the events body limit answers 413 with a body; parse errors give their reason and offset.
    @Test func bodiesOverTheLimitAndBadJSONAreExplained() async throws {
        let collector = try await LiveCollector(backend: .sqlite) { $0.maxEventsBodyBytes = 4096 }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let big = try await collector.json(.POST, "/v1/events", body: Array(repeating: 0x20, count: 5000))
        Self.expectRefusal(big, 413, "body_too_large")
        let bad = try await collector.json(.POST, "/v1/events", body: Array("{\"events\": [1,}".utf8))
        Self.expectRefusal(bad, 400, "malformed_event")
        #expect(bad.json["error"]?["message"]?.string?.contains("at byte 14") == true)
        let exact = try await collector.json(.POST, "/v1/events", body: Array("{\"events\": [9007199254740993]}".utf8))
        Self.expectRefusal(exact, 400, "malformed_event")
        try await collector.store.close()
    }

    /// F8: an attacker's device id is cut in incidents and logs, and repeats are counted, not stored each.
    @Test(arguments: Backend.all)
    func incidentsAreBounded(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let stranger = DeviceKey.generate()
        let text = String(decoding: try Self.event(stranger, time: "2026-01-01T00:00:00Z"), as: UTF8.self)
        let run = UUID().uuidString  // PostgreSQL keeps incidents of earlier runs
        let longID = run + String(repeating: "x", count: 200_000) + "\nfake log line"
        let forged = Array(text.replacingOccurrences(of: stranger.deviceID, with: longID.replacingOccurrences(of: "\n", with: "\\n")).utf8)
        for _ in 0..<5 {
            let r = try await collector.json(.POST, "/v1/events", body: batch([forged]))
            Self.expectRefusal(r, 403, "unknown_device")
            #expect((r.json["error"]?["message"]?.string?.count ?? 0) < 200)
        }
        let list = try await collector.json(.GET, "/v1/incidents", admin: true)
        let mine = list.json["incidents"]!.array.filter { $0["device"]?.string?.hasPrefix(run) == true }
        #expect(mine.count == 1)
        #expect(mine.first?["count"]?.int == 5)
        #expect((mine.first?["device"]?.string?.count ?? 0) <= Incident.maxDeviceLength + 1)
        try await collector.store.close()
    }
}
