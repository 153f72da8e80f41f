import Collector
import EventLog
import Foundation
import SightlineCore
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import Collector

/// What many requests together may cost the collector (found by the attack run after F5/F10): bodies held in
/// memory at once, connections from one address, incident rows from the network, and names in lists.
@Suite struct ResourceBoundTests {
    /// A raw loopback connection, for requests a well-behaved client would not send.
    final class RawConnection: @unchecked Sendable {
        let fd: Int32

        init?(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(fd)
                return nil
            }
            // A generous bound so that a broken collector fails the test instead of hanging it.
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
        }

        /// `readAllBlocking` on a thread of its own: a blocking recv on Swift's cooperative pool (two threads
        /// on two cores) would starve the collector under test, whose handlers run on that pool.
        func readAll() async -> String {
            await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
                Thread { done.resume(returning: self.readAllBlocking()) }.start()
            }
        }

        /// Everything until the peer closes (or the receive timeout), as text; "" when the peer closed at once.
        func readAllBlocking() -> String {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                out += buffer[..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func post(_ path: String, contentLength: Int, body: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(contentLength)\r\n\r\n" + body
    }

    /// Bodies held at once are bounded: with two bodies of 4090 bytes arrived (of 4096 declared) and an 8 KiB
    /// budget, a third request is answered 503 `overloaded` with Retry-After; the budget comes back when a
    /// request ends (here: its client goes away). The budget counts bytes that arrived, not declared lengths:
    /// a client that declares a large body and trickles it holds only what it sent (attack run: sixteen such
    /// clients kept every device's events out).
    @Test func bodiesInMemoryAreBoundedAndShedWith503() async throws {
        let collector = try await LiveCollector(backend: .sqlite) {
            $0.maxEventsBodyBytes = 4096
            $0.maxEvidenceBytes = 4096
            $0.maxSmallBodyBytes = 4096
            $0.maxBufferedBodyBytes = 8192
        }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let budget = try #require(collector.serving?.bodyBudget)
        func waitFor(_ bytes: Int) async throws {
            for _ in 0..<200 where budget.inUse != bytes { try await Task.sleep(for: .milliseconds(25)) }
        }
        func probe() async throws -> String {
            let c = try #require(RawConnection(port: collector.port))
            #expect(c.send(Self.post("/v1/events", contentLength: 14, body: "{\"events\": []}")))
            return await c.readAll()
        }
        // A trickler: 4096 declared, 5 sent, holds 5.
        let trickler = try #require(RawConnection(port: collector.port))
        #expect(trickler.send(Self.post("/v1/events", contentLength: 4096, body: "{\"eve")))
        try await waitFor(5)
        #expect(budget.inUse == 5)
        #expect(try await probe().contains(" 200 "))
        var holders = [RawConnection]()
        for _ in 0..<2 {
            let c = try #require(RawConnection(port: collector.port))
            #expect(c.send(Self.post("/v1/events", contentLength: 4096, body: String(repeating: " ", count: 4090))))
            holders.append(c)
        }
        try await waitFor(8185)
        #expect(budget.inUse == 8185)
        let shed = try await probe()
        #expect(shed.contains(" 503 "), "\(shed)")
        #expect(shed.lowercased().contains("retry-after: 1"), "\(shed)")
        #expect(shed.contains("\"code\":\"overloaded\""), "\(shed)")
        holders.removeAll()  // both clients go away mid-body
        try await waitFor(5)
        #expect(budget.inUse == 5)
        #expect(try await probe().contains(" 200 "))
        // A declared length over the endpoint's limit is refused at once, without waiting for the bytes.
        let big = try #require(RawConnection(port: collector.port))
        #expect(big.send(Self.post("/v1/events", contentLength: 1 << 30)))
        let refused = await big.readAll()
        #expect(refused.contains(" 413 ") && refused.contains("body_too_large"), "\(refused)")
        _ = trickler
        try await collector.store.close()
    }

    /// One address cannot hold all the collector's connections: past its share, new connections are closed
    /// as they open, while other work goes on; when one of its connections ends, it may open another.
    @Test func connectionsFromOneAddressAreCapped() async throws {
        let collector = try await LiveCollector(backend: .sqlite) { $0.maxConnectionsPerAddress = 4 }
        try await collector.start()
        defer { Task { await collector.stop() } }
        var silent = [RawConnection]()
        for _ in 0..<4 { silent.append(try #require(RawConnection(port: collector.port))) }
        for _ in 0..<100 where collector.serving!.connections.count("127.0.0.1") < 4 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(collector.serving!.connections.count("127.0.0.1") == 4)
        let fifth = try #require(RawConnection(port: collector.port))
        _ = fifth.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(await fifth.readAll() == "", "a fifth connection from the same address was served")
        silent.removeFirst()
        var reply = ""
        for _ in 0..<100 where !reply.contains(" 200 ") {
            try await Task.sleep(for: .milliseconds(20))
            let again = try #require(RawConnection(port: collector.port))
            _ = again.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = await again.readAll()
        }
        #expect(reply.contains(" 200 "), "\(reply)")
        try await collector.store.close()
    }

    /// Refusals anyone can cause (unknown devices, malformed events) keep to a bound of their own: a flood of
    /// them never evicts an incident of a registered device.
    @Test(arguments: Backend.all)
    func aJunkFloodEvictsOnlyJunk(backend: Backend) async throws {
        let store = try backend.makeStore()
        try await store.migrate()
        let run = UUID().uuidString
        try await store.recordIncident(
            Incident(device: "genuine-\(run)", seq: 7, code: RefusalCode.brokenChain.rawValue, message: "m",
                     receivedNanos: 1))
        for k in 0..<(Incident.maxStoredUnauthenticated + 50) {
            try await store.recordIncident(
                Incident(device: "junk-\(run)-\(k)", seq: nil, code: RefusalCode.unknownDevice.rawValue,
                         message: "m", receivedNanos: 2))
        }
        let all = try await store.incidents(limit: 100_000)
        #expect(all.contains { $0.device == "genuine-\(run)" })
        #expect(try await store.incidents(limit: 1000, unauthenticated: false).contains { $0.device == "genuine-\(run)" })
        #expect(all.filter(\.isUnauthenticated).count == Incident.maxStoredUnauthenticated)
        // The newest junk is what is kept.
        #expect(all.contains { $0.device == "junk-\(run)-\(Incident.maxStoredUnauthenticated + 49)" })
        #expect(!all.contains { $0.device == "junk-\(run)-0" })
        try await store.close()
    }

    /// The incident list shows a device's own incidents apart from the network's: a junk flood hides none.
    @Test func theIncidentListKeepsDeviceIncidentsInView() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        try await collector.store.recordIncident(
            Incident(device: "genuine", seq: 7, code: RefusalCode.sequenceGap.rawValue, message: "m", receivedNanos: 1))
        for k in 0..<1010 {
            try await collector.store.recordIncident(
                Incident(device: "junk-\(k)", seq: nil, code: RefusalCode.unknownDevice.rawValue, message: "m",
                         receivedNanos: 2))
        }
        let list = try await collector.json(.GET, "/v1/incidents", admin: true)
        let items = try #require(list.json["incidents"]?.array)
        #expect(items.first?["device"]?.string == "genuine" && items.first?["source"]?.string == "device")
        #expect(items.filter { $0["source"]?.string == "network" }.count == 1000)
        let network = try await collector.json(.GET, "/v1/incidents?source=network&limit=5", admin: true)
        #expect(network.json["incidents"]?.array.map { $0["source"]?.string } == Array(repeating: "network", count: 5))
        for bad in ["limit=0", "limit=x", "source=all", "limit=10001"] {
            #expect(try await collector.json(.GET, "/v1/incidents?\(bad)", admin: true).status == 400, "\(bad)")
        }
        try await collector.store.close()
    }

    /// What a peer sent is cut in incidents by Unicode scalars, not characters (attack run: a 4 MB device id of
    /// one letter and two million combining marks was "5 characters"; a 4 MB unknown field name became a 4 MB
    /// incident message).
    @Test func incidentsCutWhatPeersSentByScalars() throws {
        let marks = String(repeating: "\u{301}", count: 100_000)
        let i = Incident(device: "d" + marks, seq: nil, code: "x", message: "m" + marks, receivedNanos: 0)
        #expect(i.device.unicodeScalars.count == Incident.maxDeviceLength + 1)
        #expect(i.message.unicodeScalars.count == Incident.maxMessageLength + 1)
        let field = String(repeating: "k", count: 1_000_000)
        #expect(throws: EventFormatError.self) { try Event(json: .object([field: .int(1)])) }
        do { _ = try Event(json: .object([field: .int(1)])) } catch {
            #expect(error.reason.unicodeScalars.count <= EventFormatError.maxReasonLength + 1)
        }
        let many = "{\"events\": [" + Array(repeating: "1", count: EventBatch.maxEvents + 1).joined(separator: ",") + "]}"
        #expect(throws: JSONParseError.self) { try EventBatch(Array(many.utf8)) }
        let enough = "{\"events\": [" + Array(repeating: "1", count: EventBatch.maxEvents).joined(separator: ",") + "]}"
        #expect(try EventBatch(Array(enough.utf8)).elements.count == EventBatch.maxEvents)
    }

    @Test func namesAreCountedByScalarsAndMayNotLookBlank() {
        for good in ["front door", "Café", "gate-2", "東門"] { #expect(DisplayName.isValid(good), "\(good)") }
        for bad in ["a" + String(repeating: "\u{301}", count: 20_000), "\u{3164}", "\u{3164}\u{3164}", "   ",
                    "x\u{34F}y", "tab\there", "a\u{FEFF}"] {
            #expect(!DisplayName.isValid(bad), "\(bad.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// Names shown in lists and logs: no control, format (U+202E) or separator characters, over HTTP too.
    @Test func deviceNamesOverHTTPFollowTheNameRule() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = DeviceKey.generate()
        for name in ["evil\u{202E}gnp.exe", "two\nlines", "", String(repeating: "n", count: 65), "zero\u{200B}width"] {
            let body = try CanonicalJSON.encode(
                .object(["name": .string(name), "public_key": .string(key.publicKeyBase64)]))
            let r = try await collector.json(.POST, "/v1/devices", body: body, admin: true)
            #expect(r.status == 400, "\(name.debugDescription)")
            #expect(r.json["error"]?["code"]?.string == "bad_request")
        }
        #expect(LogText.escaped("a\u{202E}b\u{200B}c") == "a\\u{202e}b\\u{200b}c")
        try await collector.store.close()
    }

    @Test func listenAddressesIncludeBracketedIPv6() throws {
        #expect(try ListenAddress.parse("127.0.0.1:8470") == ("127.0.0.1", 8470))
        #expect(try ListenAddress.parse("[::1]:0") == ("::1", 0))
        #expect(try ListenAddress.parse("localhost:1") == ("localhost", 1))
        for bad in ["::1:8470", "[::1]", "[::1:80", "host", ":80", "host:65536", "host:-1", "[1.2.3.4]:80", "h:8x"] {
            #expect(throws: ListenAddress.Invalid.self, "\(bad)") { try ListenAddress.parse(bad) }
        }
    }
}

/// The streamed reading of `{"events": [...]}`: elements found by a light scan, each parsed strictly.
@Suite struct EventBatchTests {
    @Test func elementsAreFoundWhateverTheyHold() throws {
        let text = #" { "note" : {"a": [1, "]}"]}, "events" : [ {"k": "x\"]}\\"}, [[]], 3, "s", null ] } "#
        let batch = try EventBatch(Array(text.utf8))
        #expect(batch.elements.count == 5)
        #expect(try batch.element(0) == .object(["k": .string("x\"]}\\")]))
        #expect(try batch.element(1) == .array([.array([])]))
        #expect(try batch.element(2) == .int(3))
        #expect(try batch.element(4) == .null)
        #expect(try EventBatch(Array(#"{"events":[]}"#.utf8)).elements.isEmpty)
    }

    /// Against the strict parser: on random batches the elements are exactly its array's elements.
    @Test func agreesWithTheStrictParser() throws {
        var rng = SeededGenerator(seed: 0x5EED_BA7C)
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
            case 0: return .int(Int64.random(in: -1_000_000...1_000_000, using: &rng))
            case 1: return .string(String((0..<Int.random(in: 0..<8, using: &rng)).map { _ in
                "ab\"\\]}[{,:é\u{1}".randomElement(using: &rng)! }))
            case 2: return .bool(Bool.random(using: &rng))
            case 3: return .null
            case 4: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in value(depth + 1) })
            default:
                var o: [String: JSONValue] = [:]
                for k in 0..<Int.random(in: 0..<4, using: &rng) { o["k\(k)]"] = value(depth + 1) }
                return .object(o)
            }
        }
        for _ in 0..<300 {
            let events = (0..<Int.random(in: 0..<6, using: &rng)).map { _ in value(0) }
            let bytes = try CanonicalJSON.encode(.object(["events": .array(events), "z": value(0)]))
            let batch = try EventBatch(bytes)
            #expect(try batch.elements.indices.map { try batch.element($0) } == events)
        }
    }

    @Test func malformedBodiesAreRefusedWithTheirOffset() throws {
        let cases: [(String, Int)] = [
            (#"{"events": [1,}"#, 14), (#"[1]"#, 0), (#"{"events": {}}"#, 11), (#"{"events": [1] "#, 15),
            (#"{"events": [1]} x"#, 16), (#"{"events": [1], "events": [2]}"#, 26), (#"{"other": 1}"#, 0),
            (#"{"events": ["abc]}"#, 18), (#"{"events": [tru]}"#, 12), (#"{"x": tru, "events": []}"#, 6),
        ]
        for (text, offset) in cases {
            #expect(throws: JSONParseError.self, "\(text)") { try EventBatch(Array(text.utf8)).element(0) }
            do { _ = try EventBatch(Array(text.utf8)).element(0) } catch {
                #expect(error.offset == offset, "\(text): \(error)")
            }
        }
        let deep = "{\"events\": [" + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "]}"
        #expect(throws: JSONParseError.self) { try EventBatch(Array(deep.utf8)) }
    }
}

/// A malformed database URL is refused without echoing its password (second attack run).
@Suite struct DatabaseURLErrorTests {
    @Test func aBadDatabaseURLIsNotEchoedWithItsPassword() {
        let text = "\(StoreError.badDatabaseURL("postgres://u:SECRETPW@[::1/db"))"
        #expect(!text.contains("SECRETPW") && text.contains("unsupported --database"), "\(text)")
    }
}
