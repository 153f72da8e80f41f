import Collector
import Crypto
import EventLog
import Foundation
import SightlineCore
import Testing

/// The collector's ingest rules on both backends: delivery, idempotence, and each refusal code.
@Suite(.serialized) struct IngestTests {
    @Test(arguments: Backend.all)
    func storesEventsOnceWithEvidenceCheckpointsAndProofs(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 10)
        var blobs: [String: [UInt8]] = [:]
        for i in 0..<25 {
            let ev = i % 4 == 0 ? [EvidenceBlob(data: fakeJPEG("jpeg \(i)"))] : []
            let e = try log.emit(
                camera: i % 2 == 0 ? "gate" : "yard", type: "frame.stats", body: ["i": .int(Int64(i))],
                evidence: ev)
            if let ref = e.evidence.first { blobs[ref.sha256] = ev[0].data }
        }
        // Evidence first, then the events: the collector checks checkpoints against what it holds.
        for (sha, data) in blobs {
            #expect(try await collector.putEvidence(data, key: key, sha: sha).status == 200)
        }
        let lines = try log.spool.allEvents().map(\.line)
        #expect(lines.count == 27)  // 25 events and checkpoints at seq 11 and 22
        let first = try await collector.json(.POST, "/v1/events", body: batch(lines))
        #expect(first.status == 200)
        #expect(
            first.json["results"]?.array.compactMap { $0["status"]?.string } == Array(repeating: "stored", count: 27))
        // Resending is acknowledged without a second row.
        let again = try await collector.json(.POST, "/v1/events", body: batch(Array(lines[20...])))
        #expect(
            again.json["results"]?.array.compactMap { $0["status"]?.string } == Array(repeating: "duplicate", count: 7))

        // Paginated query in storage order.
        var seqs: [Int64] = []
        var cursor = ""
        repeat {
            let page = try await collector.json(.GET, "/v1/events?device=\(key.deviceID)&limit=4\(cursor)")
            seqs += page.json["events"]!.array.compactMap { $0["seq"]?.int }
            cursor = page.json["next_cursor"]?.string.map { "&cursor=\($0)" } ?? ""
        } while !cursor.isEmpty
        #expect(seqs == Array(1...27))
        let yard = try await collector.json(.GET, "/v1/events?device=\(key.deviceID)&camera=yard&type=frame.stats")
        #expect(yard.json["events"]!.array.count == 12)

        let sha = blobs.keys.sorted()[0]
        let blob = try await collector.request(.GET, "/v1/evidence/\(sha)")
        #expect(blob.status == 200 && blob.body == blobs[sha])

        let cps = try await collector.json(.GET, "/v1/devices/\(key.deviceID)/checkpoints")
        #expect(cps.json["checkpoints"]!.array.compactMap { $0["size"]?.int } == [10, 21])

        // An inclusion proof of seq 5 against the checkpoint that covers it verifies with its signed root.
        let proof = try await collector.json(.GET, "/v1/devices/\(key.deviceID)/proof?seq=5")
        #expect(proof.json["checkpoint_seq"]?.int == 11)
        let note = cps.json["checkpoints"]!.array[0]["note"]!.string!
        let checkpoint = try #require(Checkpoint.verify(note: note, publicKey: key.privateKey.publicKey))
        let path = proof.json["proof"]!.array.map { Encoding.bytes(base64: $0.string!)! }
        let canonical5 = try Event(json: try JSONParser.parse(lines[4])).canonicalBytes()
        #expect(
            MerkleTree.verifyInclusion(
                index: 4, treeSize: checkpoint.size, leafHash: MerkleTree.leafHash(canonical5),
                proof: path, root: checkpoint.root))

        // The export verifies offline, evidence included.
        let export = try await collector.request(.GET, "/v1/export?device=\(key.deviceID)&evidence=true")
        let summary = try ExportVerifier.verify(export: export.body, publicKey: key.privateKey.publicKey)
        #expect(summary.events == 27 && summary.checkpoints == 2 && summary.evidenceVerified == blobs.count)
        #expect(summary.evidenceMissing == 0)

        let health = try await collector.json(.GET, "/healthz")
        #expect(health.status == 200)
        let metrics = String(decoding: try await collector.request(.GET, "/metrics", admin: true).body, as: UTF8.self)
        #expect(metrics.contains("sightline_collector_events_stored_total"))
        try await collector.store.close()
    }

    /// Each kind of bad submission gets its own code and status and is recorded as an incident.
    @Test(arguments: Backend.all)
    func refusalsHaveDistinctCodes(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key)
        for i in 0..<4 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        let lines = try log.spool.allEvents().map(\.line)
        #expect(try await collector.json(.POST, "/v1/events", body: batch([lines[0]])).status == 200)

        func refusal(_ body: [UInt8]) async throws -> (Int, String?) {
            let r = try await collector.json(.POST, "/v1/events", body: body)
            return (r.status, r.json["error"]?["code"]?.string)
        }
        func resign(_ event: Event, with signer: DeviceKey = key) throws -> [UInt8] {
            var e = event
            e.sig = signer.sign(try e.canonicalBytes())
            return try e.line()
        }
        let e2 = try Event(json: try JSONParser.parse(lines[1]))

        // Body changed after signing.
        let flipped = Array(
            String(decoding: lines[1], as: UTF8.self).replacingOccurrences(of: "\"i\":1", with: "\"i\":7").utf8)
        #expect(try await refusal(batch([flipped])) == (422, "forged_signature"))
        // Signed by a key that is not the device's.
        #expect(try await refusal(batch([try resign(e2, with: .generate())])) == (422, "forged_signature"))
        // An unregistered device.
        let stranger = try makeLog(key: .generate())
        let s1 = try stranger.emit(camera: "c", type: "frame.stats", body: [:])
        #expect(try await refusal(batch([try s1.line()])) == (403, "unknown_device"))
        // A gap: seq 3 before seq 2.
        let gap = try await collector.json(.POST, "/v1/events", body: batch([lines[2]]))
        #expect(gap.status == 409 && gap.json["error"]?["code"]?.string == "sequence_gap")
        #expect(gap.json["error"]?["next_seq"]?.int == 2)
        // A validly signed seq 2 whose prev is not the stored seq 1.
        var broken = e2
        broken.prev = String(repeating: "ab", count: 32)
        #expect(try await refusal(batch([try resign(broken)])) == (409, "broken_chain"))
        // Replay of seq 1 with different content, validly signed.
        var conflicting = try Event(json: try JSONParser.parse(lines[0]))
        conflicting.body = ["i": .int(99)]
        #expect(try await refusal(batch([try resign(conflicting)])) == (409, "conflicting_duplicate"))
        // Malformed: not JSON, not an envelope, an unknown field.
        #expect(try await refusal(Array("nonsense".utf8)) == (400, "malformed_event"))
        #expect(try await refusal(batch([Array("{\"v\":1}".utf8)])) == (400, "malformed_event"))
        // Evidence whose bytes do not match the name.
        let wrong = try await collector.putEvidence([1, 2, 3], key: key, sha: String(repeating: "0", count: 64))
        #expect(wrong.status == 422 && wrong.json["error"]?["code"]?.string == "evidence_mismatch")
        // A batch stops at the first refusal and acknowledges what came before.
        let mixed = try await collector.json(.POST, "/v1/events", body: batch([lines[1], flipped]))
        #expect(mixed.status == 422)
        #expect(mixed.json["results"]?.array.compactMap { $0["seq"]?.int } == [2])

        let incidents = try await collector.json(.GET, "/v1/incidents", admin: true)
        let codes = Set(
            incidents.json["incidents"]!.array.filter {
                $0["device"]?.string == key.deviceID || $0["device"]?.string == stranger.device
                    || $0["device"]?.string == "?"
            }.compactMap { $0["code"]?.string })
        #expect(
            codes.isSuperset(of: [
                "forged_signature", "unknown_device", "sequence_gap", "broken_chain",
                "conflicting_duplicate", "malformed_event", "evidence_mismatch",
            ]))
        #expect(try await collector.request(.GET, "/v1/incidents", auth: .none).status == 401)
        #expect(try await collector.request(.GET, "/v1/incidents").status == 403)
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func devicesAreRegisteredOnceWithTheirDerivedID(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = DeviceKey.generate()
        let body = Array("{\"name\":\"porch\",\"public_key\":\"\(key.publicKeyBase64)\"}".utf8)
        let added = try await collector.json(.POST, "/v1/devices", body: body, admin: true)
        #expect(added.status == 201 && added.json["id"]?.string == key.deviceID)
        #expect(try await collector.json(.POST, "/v1/devices", body: body, admin: true).status == 409)
        #expect(try await collector.json(.POST, "/v1/devices", body: body, auth: .none).status == 401)
        #expect(try await collector.json(.POST, "/v1/devices", body: body).status == 403)
        let list = try await collector.json(.GET, "/v1/devices", admin: true)
        #expect(list.json["devices"]!.array.contains { $0["id"]?.string == key.deviceID })
        try await collector.store.close()
    }
}
