import EventLog
import Foundation
import Hummingbird
import Logging
import SightlineCore
import SightlineTestKit
import Testing

@testable import Forwarder

/// F13: whatever a collector (or a man in the middle) answers, the forwarder neither traps nor marks the
/// spool delivered past the batch it sent.
@Suite(.serialized) struct ForwarderReplyTests {
    static func reply(_ results: [String]) -> JSONValue? {
        try? JSONParser.parse("{\"results\":[" + results.joined(separator: ",") + "]}")
    }

    @Test func acknowledgementsMustNameTheEventsSentInOrder() throws {
        let sent: [UInt64] = [5, 6, 7]
        #expect(try Forwarder.acknowledged(reply: Self.reply([]), sent: sent) == 0)
        #expect(try Forwarder.acknowledged(
            reply: Self.reply(["{\"seq\":5,\"status\":\"stored\"}", "{\"seq\":6,\"status\":\"duplicate\"}"]),
            sent: sent) == 6)
        #expect(try Forwarder.acknowledged(reply: nil, sent: sent) == 0)
        for bad in [
            ["{\"seq\":-1}"], ["{\"seq\":999999,\"status\":\"stored\"}"], ["{\"seq\":6,\"status\":\"stored\"}"],
            ["{\"seq\":5,\"status\":\"refused\"}"], ["{\"seq\":5.0,\"status\":\"stored\"}"],
            Array(repeating: "{\"seq\":5,\"status\":\"stored\"}", count: 4), ["1"],
        ] {
            #expect(throws: ForwarderError.self, "\(bad)") { try Forwarder.acknowledged(reply: Self.reply(bad), sent: sent) }
        }
        #expect(throws: ForwarderError.self) {
            try Forwarder.acknowledged(reply: try JSONParser.parse("{\"results\":{\"seq\":5}}"), sent: sent)
        }
    }

    /// Property: random replies built from boundary seqs never acknowledge beyond the batch or a seq not sent.
    @Test func randomRepliesNeverOverAcknowledge() {
        var rng = SeededGenerator(seed: 0x5EED_0020)
        let seqTexts = boundaryIntegers.filter { !$0.isEmpty } + ["5", "6", "7", "8", "4", "\"5\"", "null"]
        for _ in 0..<5000 {
            let first = UInt64.random(in: 1...1000, using: &rng)
            let sent = (0..<UInt64.random(in: 1...5, using: &rng)).map { first + $0 }
            let results = (0..<Int.random(in: 0...6, using: &rng)).map { k -> String in
                let seq = Bool.random(using: &rng) && k < sent.count ? String(sent[k])
                    : seqTexts.randomElement(using: &rng)!
                let status = ["\"stored\"", "\"duplicate\"", "\"x\"", "1"].randomElement(using: &rng)!
                return "{\"seq\":\(seq),\"status\":\(status)}"
            }
            guard let reply = Self.reply(results) else { continue }
            if let through = try? Forwarder.acknowledged(reply: reply, sent: sent), through > 0 {
                #expect(sent.contains(through))
            }
        }
    }

    /// A fake collector on loopback answering `reply` to every batch.
    static func fakeCollector(_ reply: String) async throws -> (url: String, task: Task<Void, any Error>) {
        let router = Router()
        router.post("/v1/events") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test.fake")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await p in stream {
            port = p
            break
        }
        return ("http://127.0.0.1:\(port)", task)
    }

    @Test func hostileRepliesLeaveTheSpoolPending() async throws {
        let key = DeviceKey.generate()
        let log = try makeLog(key: key)
        for i in 0..<3 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        for reply in [
            "{\"results\":[{\"seq\":-1}]}", "{\"results\":[{\"seq\":999999,\"status\":\"stored\"}]}",
            "{\"results\":[{\"seq\":9223372036854775807,\"status\":\"stored\"}]}",
            "{\"results\":[{\"seq\":18446744073709551616,\"status\":\"stored\"}]}",
        ] {
            let fake = try await Self.fakeCollector(reply)
            let forwarder = try ForwarderTests.forwarder(fake.url, log)
            await #expect(throws: ForwarderError.self, "\(reply)") { try await forwarder.deliverBatch() }
            await forwarder.shutdown()
            fake.task.cancel()
            _ = try? await fake.task.value
            #expect(try log.spool.pendingCount() == 3, "\(reply)")
        }
    }

    /// A 200 that acknowledges nothing (`{"results":[]}`, `{}`, an error body) is not a delivery: `drain`, which
    /// `sightline events test` reports from, must fail instead of returning as if the spool were empty.
    @Test func aReplyThatAcknowledgesNothingIsNoDelivery() async throws {
        let key = DeviceKey.generate()
        let log = try makeLog(key: key)
        for i in 0..<3 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        for reply in ["{\"results\":[]}", "{}", "{\"error\":{\"code\":\"x\",\"message\":\"y\"}}"] {
            let fake = try await Self.fakeCollector(reply)
            let forwarder = try ForwarderTests.forwarder(fake.url, log)
            await #expect(throws: ForwarderError.self, "\(reply)") { try await forwarder.drain(timeoutSeconds: 0.5) }
            await forwarder.shutdown()
            fake.task.cancel()
            _ = try? await fake.task.value
            #expect(try log.spool.pendingCount() == 3, "\(reply)")
        }
    }
}
