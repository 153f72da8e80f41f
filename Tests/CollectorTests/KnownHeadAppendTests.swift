import EventLog
import Foundation
import PostgresNIO
import SightlineCore
import SightlineTestKit
import Logging
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

/// Attacks on several collectors over one database (the attack run of 2026-12-05): a revocation that commits while
/// a batch is in flight, and a batch naming more evidence than one statement may bind.
struct CollectorRaceTests {
    /// Ingest reads the device (usable), verifies, then appends; a revocation that commits in between must stop
    /// the append on both paths (the head-guarded statement and the locked one). It stored the whole batch before.
    @Test(arguments: Backend.all)
    func aRevocationBetweenLookupAndAppendStopsTheBatch(backend: Backend) async throws {
        let (store, events, key) = try await KnownHeadAppendTests.setUp(backend, events: 3)
        let device = events[0].event.device
        let lookup = try await store.ingestLookup(device: device, evidence: [])
        #expect(lookup.device?.revokedNanos == nil)
        #expect(try await store.revokeDevice(device, nowNanos: 1) != nil)
        for knownHead in [lookup.head, nil] {
            do {
                _ = try await store.appendChain(device: device, seqs: events.map(\.event.seq), knownHead: knownHead) {
                    head, stored in ChainAppend.decide(head: head, stored: stored, events: events, key: key)
                }
                Issue.record("the append of a revoked device went through (known head \(String(describing: knownHead)))")
            } catch StoreError.deviceRevoked {
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(try await store.lastSeq(device: device) == 0)
        try await store.close()
    }

    /// The same race through ingest: the batch is refused as `revoked_device`, with nothing stored.
    @Test(arguments: Backend.all)
    func ingestAnswersARevocationDuringTheBatchAsRevoked(backend: Backend) async throws {
        let (store, events, _) = try await KnownHeadAppendTests.setUp(backend, events: 3)
        let device = events[0].event.device
        let revoking = InterposedStore(store)
        revoking.beforeAppend = { _ = try await store.revokeDevice(device, nowNanos: 1) }
        let ingest = Ingest(store: revoking, metrics: CollectorMetrics(), logger: Logger(label: "test"))
        let result = try await ingest.submit(batch: events.map(\.event.json), nowNanos: 1)
        #expect(result.refusal?.code == .revokedDevice, "\(String(describing: result.refusal))")
        #expect(result.outcomes.isEmpty)
        #expect(try await store.lastSeq(device: device) == 0)
        try await store.close()
    }
}

extension CollectorRaceTests {
    /// An event naming 16,400 blobs (65,600 parameters at four each, past PostgreSQL's 65,535): its references are
    /// written in several statements (it failed with a 500 every time it was sent), and its missing blobs make one
    /// incident, not one database round trip each (a minute of collector time for such a batch).
    @Test(arguments: Backend.all)
    func anEventNamingVeryManyBlobsIsStoredWithOneIncident(backend: Backend) async throws {
        let store = try backend.makeStore()
        try await store.migrate()
        var device = SimulatedDevice(checkpointEvery: 1000)
        let blobs = (0..<16_400).map { SimulatedDevice.jpeg("blob \($0)") }
        let emitted = try device.emit(evidence: blobs, wallNanos: 1_700_000_000_000_000_000)
        let event = try Event(json: try JSONParser.parse(emitted[0].line))
        try await KnownHeadAppendTests.register(
            event.device, key: DevicePublicKey(key: device.key.privateKey.publicKey), in: store)
        let ingest = Ingest(store: store, metrics: CollectorMetrics(), logger: Logger(label: "test"))
        let result = try await ingest.submit(batch: [event.json], nowNanos: 1)
        #expect(result.refusal == nil, "\(String(describing: result.refusal))")
        #expect(result.outcomes.map(\.outcome) == [.stored])
        #expect(try await store.lastSeq(device: event.device) == 1)
        let missing = try await store.incidents(limit: 100).filter {
            $0.device == Incident.truncated(device: event.device) && $0.code == RefusalCode.evidenceMissing.rawValue
        }
        #expect(missing.count == 1 && missing.first?.count == 1, "\(missing.map(\.message))")
        #expect(missing.first?.message.hasPrefix("16400 evidence blobs") == true, "\(missing.map(\.message))")
        try await store.close()
    }
}

extension CollectorRaceTests {
    /// An error no handler turned into a reply (here the database failing under `GET /v1/incidents`) is logged with
    /// the request and answered as a JSON `internal_error`: it was a 500 with an empty body and no log line.
    @Test func anErrorNoHandlerAnsweredIsLoggedAndAnsweredAsJSON() async throws {
        let store = InterposedStore(try Backend.sqlite.makeStore())
        store.incidentsFailure = .database("the disk is on fire")
        let collector = try await LiveCollector(backend: .sqlite, store: store)
        let capture = LogCapture()
        collector.logCapture = capture
        try await collector.start()
        let reply = try await collector.request(.GET, "/v1/incidents", admin: true)
        await collector.stop()
        #expect(reply.status == 500)
        let json = try JSONParser.parse(reply.body)
        guard case .object(let o) = json, case .object(let e)? = o["error"], case .string(let code)? = e["code"] else {
            Issue.record("not a JSON error: \(String(decoding: reply.body, as: UTF8.self))")
            return
        }
        #expect(code == "internal_error")
        #expect(!String(decoding: reply.body, as: UTF8.self).contains("on fire"))  // the detail stays in the log
        #expect(capture.all.contains { $0.contains("request failed") && $0.contains("on fire") && $0.contains("/v1/incidents") },
                "\(capture.all)")
    }
}

extension CollectorRaceTests {
    /// The appends rely on READ COMMITTED (a guarded UPDATE or a locked SELECT re-reads the row another collector
    /// changed); under a database whose default is stricter they failed with serialisation errors (500s). Every
    /// session of the store asks for READ COMMITTED, whatever the database's default.
    @Test(.enabled(if: Backend.postgresURL != nil, "no PostgreSQL test server"))
    func sessionsAreReadCommittedWhateverTheDatabaseDefault() async throws {
        let logger = Logger(label: "test.pg")
        let url = try #require(Backend.postgresURL)
        let admin = try PostgresCollectorStore(url: url, logger: logger, connectTimeoutSeconds: 600)
        let name = "sightline_iso_" + UUID().uuidString.prefix(8).lowercased()
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        try await admin.client.query(
            PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) SET default_transaction_isolation = 'serializable'"),
            logger: logger)
        var components = try #require(URLComponents(string: url))
        components.path = "/" + name
        let strict = try PostgresCollectorStore(url: try #require(components.string), logger: logger,
                                                connectTimeoutSeconds: 600)
        var level = ""
        for try await l in try await strict.client.query("SHOW transaction_isolation", logger: logger).decode(String.self) {
            level = l
        }
        try await strict.close()
        try await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
        try await admin.close()
        #expect(level == "read committed")
    }
}

/// Another store with hooks: `beforeAppend` runs just before an append reaches it (a revocation committing while
/// ingest verifies a batch), and `incidentsFailure`, when set, is what reading incidents throws (a database
/// failing under a request). Everything else is passed through.
final class InterposedStore: CollectorStore, @unchecked Sendable {
    let inner: any CollectorStore
    var beforeAppend: @Sendable () async throws -> Void = {}
    var incidentsFailure: StoreError?
    init(_ inner: any CollectorStore) { self.inner = inner }

    func appendChain(
        device: String, seqs: [UInt64], _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        try await beforeAppend()
        return try await inner.appendChain(device: device, seqs: seqs, decide)
    }
    func appendChain(
        device: String, seqs: [UInt64], knownHead: ChainHead?,
        _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        try await beforeAppend()
        return try await inner.appendChain(device: device, seqs: seqs, knownHead: knownHead, decide)
    }

    func migrate() async throws { try await inner.migrate() }
    func addDevice(_ d: DeviceRecord) async throws { try await inner.addDevice(d) }
    func devices() async throws -> [DeviceRecord] { try await inner.devices() }
    func device(id: String) async throws -> DeviceRecord? { try await inner.device(id: id) }
    func eventHash(device: String, seq: UInt64) async throws -> String? {
        try await inner.eventHash(device: device, seq: seq)
    }
    func lastSeq(device: String) async throws -> UInt64 { try await inner.lastSeq(device: device) }
    func ingestLookup(device: String, evidence: [String]) async throws -> IngestLookup {
        try await inner.ingestLookup(device: device, evidence: evidence)
    }
    func presentEvidence(_ shas: [String]) async throws -> Set<String> { try await inner.presentEvidence(shas) }
    func putEvidence(sha256: String, mediaType: String, data: [UInt8], receivedNanos: Int64) async throws {
        try await inner.putEvidence(sha256: sha256, mediaType: mediaType, data: data, receivedNanos: receivedNanos)
    }
    func evidence(sha256: String) async throws -> (mediaType: String, data: [UInt8])? {
        try await inner.evidence(sha256: sha256)
    }
    func hasEvidence(sha256: String) async throws -> Bool { try await inner.hasEvidence(sha256: sha256) }
    func events(_ query: EventQuery) async throws -> [(position: Int64, event: StoredEvent)] {
        try await inner.events(query)
    }
    func leafHashes(device: String, after: UInt64, through size: UInt64) async throws -> [[UInt8]] {
        try await inner.leafHashes(device: device, after: after, through: size)
    }
    func checkpointFrontier(device: String) async throws -> [UInt8]? { try await inner.checkpointFrontier(device: device) }
    func saveCheckpointFrontier(device: String, size: UInt64, frontier: [UInt8]) async throws {
        try await inner.saveCheckpointFrontier(device: device, size: size, frontier: frontier)
    }
    func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
        try await inner.events(device: device, seqFrom: seqFrom, limit: limit)
    }
    func recordIncident(_ incident: Incident) async throws { try await inner.recordIncident(incident) }
    func incidents(limit: Int, unauthenticated: Bool?) async throws -> [Incident] {
        if let incidentsFailure { throw incidentsFailure }
        return try await inner.incidents(limit: limit, unauthenticated: unauthenticated)
    }
    func revokeDevice(_ idOrName: String, nowNanos: Int64) async throws -> DeviceRecord? {
        try await inner.revokeDevice(idOrName, nowNanos: nowNanos)
    }
    func purgeUnreferencedEvidence(receivedBefore: Int64) async throws -> Int {
        try await inner.purgeUnreferencedEvidence(receivedBefore: receivedBefore)
    }
    func evidenceReferenced(sha256: String, typePrefixes: [String]?) async throws -> Bool {
        try await inner.evidenceReferenced(sha256: sha256, typePrefixes: typePrefixes)
    }
    func evidenceReferencedOutside(sha256: String, typePrefixes: [String]) async throws -> Bool {
        try await inner.evidenceReferencedOutside(sha256: sha256, typePrefixes: typePrefixes)
    }
    func addToken(_ token: TokenRecord) async throws { try await inner.addToken(token) }
    func tokens() async throws -> [TokenRecord] { try await inner.tokens() }
    func token(digest: String) async throws -> TokenRecord? { try await inner.token(digest: digest) }
    func revokeToken(name: String, nowNanos: Int64) async throws -> Bool {
        try await inner.revokeToken(name: name, nowNanos: nowNanos)
    }
    func close() async throws { try await inner.close() }
}
