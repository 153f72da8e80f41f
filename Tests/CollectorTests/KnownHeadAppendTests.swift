import EventLog
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// `appendChain(…knownHead:…)`: ingest passes the head it read with the device, without a lock; over PostgreSQL
/// the append is tried as one statement that writes only while that is still the stored head. A head that moved
/// meanwhile (another collector appended) must never store an event twice or break the chain.
struct KnownHeadAppendTests {
    /// A migrated store, a device's first `count` events and its key, and (when `register`) the device registered.
    static func setUp(
        _ backend: Backend, events count: Int, register: Bool = true
    ) async throws -> (store: any CollectorStore, events: [VerifiedEvent], key: DevicePublicKey) {
        let store = try backend.makeStore()
        try await store.migrate()
        let (events, _, key) = try ChainAppendTests.chain(count)
        if register { try await Self.register(events[0].event.device, key: key, in: store) }
        return (store, events, key)
    }

    static func register(_ device: String, key: DevicePublicKey, in store: any CollectorStore) async throws {
        try await store.addDevice(
            DeviceRecord(
                id: device, name: "known-head", publicKey: Encoding.base64(Array(key.key.rawRepresentation)),
                addedNanos: 0))
    }

    @Test(arguments: Backend.all)
    func aStaleHeadNeverStoresAnEventTwice(backend: Backend) async throws {
        let (store, events, key) = try await Self.setUp(backend, events: 5)
        let device = events[0].event.device
        @Sendable func append(_ run: ArraySlice<VerifiedEvent>, knownHead: ChainHead?) async throws -> ChainAppend {
            let run = Array(run)
            return try await store.appendChain(device: device, seqs: run.map(\.event.seq), knownHead: knownHead) {
                head, stored in ChainAppend.decide(head: head, stored: stored, events: run, key: key)
            }
        }
        let lookup = try await store.ingestLookup(device: device, evidence: [])
        #expect(lookup.device?.id == device)
        if backend == .postgres { #expect(lookup.head == .genesis) }  // a new device's head is kept from the start

        let first = try await append(events[0..<3], knownHead: lookup.head)
        #expect(first.outcomes.map(\.outcome) == [.stored, .stored, .stored])
        let afterThree = first.head
        let second = try await append(events[3..<5], knownHead: afterThree)
        #expect(second.outcomes.map(\.outcome) == [.stored, .stored])

        // The same events again with the head as it was before them: a plan made from it would store them a
        // second time; they are duplicates.
        let resent = try await append(events[3..<5], knownHead: afterThree)
        #expect(resent.outcomes.map(\.outcome) == [.duplicate, .duplicate])
        #expect(resent.rows.isEmpty && resent.refusal == nil)
        let fromGenesis = try await append(events[0..<2], knownHead: .genesis)
        #expect(fromGenesis.outcomes.map(\.outcome) == [.duplicate, .duplicate])

        let stored = try await store.events(device: device, seqFrom: 1, limit: 100)
        #expect(stored.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(try await store.ingestLookup(device: device, evidence: []).head.map(\.seq) ?? 5 == 5)
        try await store.close()
    }

    /// The lookup ingest makes before verifying: unknown devices are nil, and only stored blobs are present.
    @Test(arguments: Backend.all)
    func theLookupReadsTheDeviceAndWhichBlobsAreStored(backend: Backend) async throws {
        let (store, events, key) = try await Self.setUp(backend, events: 1, register: false)
        let device = events[0].event.device
        #expect(try await store.ingestLookup(device: device, evidence: []).device == nil)
        try await Self.register(device, key: key, in: store)
        let blob: [UInt8] = Array("evidence".utf8)
        let sha = RequestSignature.sha256(blob)
        try await store.putEvidence(sha256: sha, mediaType: "image/jpeg", data: blob, receivedNanos: 1)
        let absent = String(repeating: "0", count: 64)
        let lookup = try await store.ingestLookup(device: device, evidence: [sha, absent])
        #expect(lookup.device?.id == device)
        #expect(lookup.presentEvidence == [sha])
        try await store.close()
    }
}
