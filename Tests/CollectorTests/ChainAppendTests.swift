import EventLog
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// The chain decisions of one run of a device's events, without a database: what the stores run under the
/// device's lock.
struct ChainAppendTests {
    /// The device's first events, verified as `Ingest` verifies them, and the head after all of them.
    static func chain(_ count: Int, checkpointEvery: Int = 1000) throws
        -> (events: [VerifiedEvent], head: ChainHead, key: DevicePublicKey)
    {
        var device = SimulatedDevice(checkpointEvery: checkpointEvery)
        var events: [VerifiedEvent] = []
        var frontier = MerkleFrontier()
        for i in 0..<count {
            for e in try device.emit(body: ["i": .int(Int64(i))], wallNanos: 1_700_000_000_000_000_000) {
                let event = try Event(json: try JSONParser.parse(e.line))
                let canonical = try event.canonicalBytes()
                let row = StoredEvent(
                    device: event.device, seq: event.seq, hash: Event.hash(canonical: canonical),
                    leafHash: MerkleTree.leafHash(canonical), timeNanos: 0, camera: event.camera, type: event.type,
                    line: e.line, receivedNanos: 0)
                frontier.append(leafHash: row.leafHash)
                events.append(VerifiedEvent(event: event, row: row))
            }
        }
        let head = ChainHead(seq: frontier.size, hash: events.last?.row.hash ?? Event.genesisPrev, frontier: frontier)
        return (events, head, DevicePublicKey(key: device.key.privateKey.publicKey))
    }

    /// Found by an attack run: after `retention` dropped the month holding a device's first events, the same
    /// events sent again were refused as `conflicting_duplicate` (tampering) though nothing differed.
    @Test func anEventWhoseRowRetentionDroppedIsADuplicate() throws {
        let (events, head, key) = try Self.chain(4)
        let plan = ChainAppend.decide(head: head, stored: [:], events: Array(events[0..<2]), key: key)
        #expect(plan.refusal == nil)
        #expect(plan.outcomes.map(\.seq) == [1, 2])
        #expect(plan.outcomes.map(\.outcome) == [.duplicate, .duplicate])
        #expect(plan.rows.isEmpty)
        #expect(plan.head == head)
    }

    /// A stored row with other content is still tampering, and a stored row with the same content a duplicate.
    @Test func aStoredRowStillTellsADuplicateFromTampering() throws {
        let (events, head, key) = try Self.chain(3)
        let same = ChainAppend.decide(head: head, stored: [2: events[1].row.hash], events: [events[1]], key: key)
        #expect(same.refusal == nil && same.outcomes.map(\.outcome) == [.duplicate])
        let other = String(repeating: "a", count: 64)
        let tampered = ChainAppend.decide(head: head, stored: [2: other], events: [events[1]], key: key)
        #expect(tampered.refusal?.code == .conflictingDuplicate)
        #expect(tampered.outcomes.isEmpty)
    }

    /// Events continuing the head are stored and advance it; one beyond the next seq is a gap.
    @Test func theNextEventsAppendAndALaterOneIsAGap() throws {
        let (events, _, key) = try Self.chain(3)
        let appended = ChainAppend.decide(head: .genesis, stored: [:], events: events, key: key)
        #expect(appended.refusal == nil && appended.rows.map(\.seq) == [1, 2, 3] && appended.head.seq == 3)
        let gap = ChainAppend.decide(head: .genesis, stored: [:], events: [events[1]], key: key)
        #expect(gap.refusal?.code == .sequenceGap)
    }
}
