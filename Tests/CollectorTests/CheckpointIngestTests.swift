import Collector
import Crypto
import EventLog
import Foundation
import SightlineCore
import Testing

/// Checkpoints at ingest: each is verified against the stored events by growing the Merkle tree from the frontier
/// of the previous verified checkpoint, and a checkpoint whose signed root is not that of the stored events is
/// refused — whether or not an earlier checkpoint left a frontier.
@Suite(.serialized) struct CheckpointIngestTests {
    /// A checkpoint event for `size` leaves with `root`, correctly chained after `previous` and signed by `key`.
    static func checkpoint(after previous: Event, size: UInt64, root: [UInt8], key: DeviceKey) throws -> Event {
        let cp = Checkpoint(origin: Checkpoint.origin(device: key.deviceID), size: size, root: root)
        var event = Event(
            device: key.deviceID, seq: previous.seq + 1, prev: Event.hash(canonical: try previous.canonicalBytes()),
            time: previous.time, camera: "", type: Checkpoint.eventType,
            body: cp.eventBody(note: cp.signedNote(key: key)))
        event.sig = key.sign(try event.canonicalBytes())
        return event
    }

    @Test(arguments: Backend.all)
    func checkpointsVerifyIncrementallyAndForgedRootsAreRefused(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 10)
        for i in 0..<15 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        let lines = try log.spool.allEvents().map(\.line)
        #expect(lines.count == 16)  // a real checkpoint at seq 11 covering 10 events
        let events = try lines.map { try Event(json: try JSONParser.parse($0)) }
        let leaves = try events.map { MerkleTree.leafHash(try $0.canonicalBytes()) }

        // With no frontier stored yet, a forged root on the first checkpoint is refused.
        var firstTen = try await collector.json(.POST, "/v1/events", body: batch(Array(lines[0..<10])))
        #expect(firstTen.status == 200)
        let forgedFirst = try Self.checkpoint(after: events[9], size: 10, root: MerkleTree.root(leaves[1..<10] + [leaves[0]]),
                                              key: key)
        var refused = try await collector.json(.POST, "/v1/events", body: batch([try forgedFirst.line()]))
        #expect(refused.status == 422 && refused.json["error"]?["code"]?.string == "bad_checkpoint")
        #expect(try await collector.store.checkpointFrontier(device: key.deviceID) == nil)

        // The device's own checkpoint (seq 11) and the events after it are stored; its frontier is kept.
        firstTen = try await collector.json(.POST, "/v1/events", body: batch(Array(lines[10...])))
        #expect(firstTen.status == 200)
        let saved = try #require(try await collector.store.checkpointFrontier(device: key.deviceID))
        #expect(MerkleFrontier(serialized: saved)?.size == 10)
        #expect(MerkleFrontier(serialized: saved)?.root == MerkleTree.root(leaves[0..<10]))

        // A later checkpoint over 16 leaves verifies from that frontier (reading leaves 11…16 only)...
        let rightRoot = MerkleTree.root(leaves)
        // ...but not with a root that differs in one leaf, even one covered by the stored frontier.
        var tampered = leaves
        tampered[3] = MerkleTree.leafHash(Array("not event 4".utf8))
        let forgedLater = try Self.checkpoint(after: events[15], size: 16, root: MerkleTree.root(tampered), key: key)
        refused = try await collector.json(.POST, "/v1/events", body: batch([try forgedLater.line()]))
        #expect(refused.status == 422 && refused.json["error"]?["code"]?.string == "bad_checkpoint")
        let honest = try Self.checkpoint(after: events[15], size: 16, root: rightRoot, key: key)
        let accepted = try await collector.json(.POST, "/v1/events", body: batch([try honest.line()]))
        #expect(accepted.status == 200)
        let latest = try #require(try await collector.store.checkpointFrontier(device: key.deviceID))
        #expect(MerkleFrontier(serialized: latest)?.size == 16)
        #expect(MerkleFrontier(serialized: latest)?.root == rightRoot)
        try await collector.store.close()
    }
}
