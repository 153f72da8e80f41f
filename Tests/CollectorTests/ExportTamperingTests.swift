import Collector
import EventLog
import Foundation
import SightlineCore
import Testing

/// `sightline verify`'s checks on a real export: every kind of tampering is named.
@Suite struct ExportTamperingTests {
    @Test func tamperedExportsNameTheFirstProblem() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 4)
        for i in 0..<10 {
            _ = try log.emit(
                camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))],
                evidence: i == 2 ? [EvidenceBlob(data: fakeJPEG(String(repeating: "x", count: 64)))] : [])
        }
        let forwarder = try ForwarderTests.forwarder(collector.url, log)
        try await forwarder.drainThenShutdown(timeoutSeconds: ForwarderTests.drainSeconds)
        let export = try await collector.request(.GET, "/v1/export?device=\(key.deviceID)&evidence=true").body
        await collector.stop()
        try await collector.store.close()
        let pub = key.privateKey.publicKey
        let lines = String(decoding: export, as: UTF8.self).split(separator: "\n").map(String.init)
        func verify(_ ls: [String]) -> ChainProblem.Kind? {
            do {
                _ = try ExportVerifier.verify(export: Array((ls.joined(separator: "\n") + "\n").utf8), publicKey: pub)
                return nil
            } catch { return error.kind }
        }
        #expect(verify(lines) == nil)
        let blobLine = try #require(lines.firstIndex { $0.hasPrefix("{\"blob\":") })
        let eventLines = lines.indices.filter { $0 != blobLine }
        // A flipped byte of evidence, of a body, of a signature.
        var t = lines
        t[blobLine] = t[blobLine].replacingOccurrences(of: "\"data\":\"/9j/", with: "\"data\":\"/9j+")
        #expect(verify(t) == .evidenceMismatch)
        t = lines
        t[eventLines[5]] = t[eventLines[5]].replacingOccurrences(of: "\"i\":", with: "\"i\":1")
        #expect(verify(t) == .badSignature)
        t = lines
        let sigAt = t[eventLines[1]].range(of: "\"sig\":\"")!.upperBound
        let c = t[eventLines[1]][sigAt]
        t[eventLines[1]].replaceSubrange(sigAt...sigAt, with: c == "A" ? "B" : "A")
        #expect(verify(t) == .badSignature)
        // Dropped, reordered, replayed events.
        t = lines
        t.remove(at: eventLines[6])
        #expect(verify(t) == .gap)
        t = lines
        t.swapAt(eventLines[6], eventLines[7])
        #expect(verify(t) == .gap)
        t = lines
        t.insert(t[eventLines[3]], at: eventLines[3] + 1)
        #expect(verify(t) == .replayed)
        // Truncation at the start, and a foreign key.
        #expect(verify(Array(lines.dropFirst(2))) == .gap)
        #expect(throws: ChainProblem.self) {
            try ExportVerifier.verify(export: export, publicKey: DeviceKey.generate().privateKey.publicKey)
        }
    }
}
