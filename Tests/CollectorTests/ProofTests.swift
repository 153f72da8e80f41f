import EventLog
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// `GET /v1/devices/{id}/proof`: proofs equal RFC 6962's over the whole tree, read from the cached subtree roots
/// once a proof against a signed checkpoint has cached them.
struct ProofTests {
    /// A registered device with `count` events and a checkpoint every 50, all stored; the leaf hash of every seq.
    static func device(_ collector: LiveCollector, count: Int) async throws -> (id: String, leaves: [[UInt8]]) {
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 50)
        for i in 0..<count { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        let lines = try log.spool.allEvents().map(\.line)
        for start in stride(from: 0, to: lines.count, by: 100) {
            let r = try await collector.json(.POST, "/v1/events", body: batch(Array(lines[start..<min(start + 100, lines.count)])))
            #expect(r.status == 200)
        }
        let leaves = try lines.map { MerkleTree.leafHash(try Event(json: try JSONParser.parse($0)).canonicalBytes()) }
        return (key.deviceID, leaves)
    }

    static func proof(_ collector: LiveCollector, _ device: String, seq: Int, size: Int? = nil) async throws
        -> (status: Int, json: JSONValue, path: [[UInt8]], root: [UInt8]?)
    {
        let r = try await collector.json(.GET, "/v1/devices/\(device)/proof?seq=\(seq)" + (size.map { "&size=\($0)" } ?? ""))
        let path = (r.json["proof"]?.array ?? []).compactMap { $0.string.flatMap { Encoding.bytes(base64: $0) } }
        return (r.status, r.json, path, r.json["root"]?.string.flatMap { Encoding.bytes(base64: $0) })
    }

    @Test(arguments: Backend.all)
    func proofsEqualTheWholeTreesBeforeAndAfterCaching(backend: Backend) async throws {
        // No chain check at start: it would warm the cache this test needs cold.
        let collector = try await LiveCollector(backend: backend) { $0.chainCheckAtStart = false }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, leaves) = try await Self.device(collector, count: 200)
        #expect(leaves.count > 192)
        let sizes = [1, 2, 63, 64, 65, 100, 127, 128, 129, 150, 191, 192, leaves.count]
        func check(_ seq: Int, _ size: Int) async throws {
            let p = try await Self.proof(collector, device, seq: seq, size: size)
            #expect(p.status == 200, "seq \(seq) size \(size): \(p.json)")
            #expect(p.path == MerkleTree.inclusionProof(index: seq - 1, leaves[0..<size]), "seq \(seq) size \(size)")
            #expect(p.root == MerkleTree.root(leaves[0..<size]), "seq \(seq) size \(size)")
            #expect(p.json["leaf_hash"]?.string == Encoding.base64(leaves[seq - 1]))
        }
        // Nothing cached yet.
        for size in sizes { for seq in Set([1, size / 2 + 1, size]) { try await check(seq, size) } }
        let store = try #require(collector.store as? any ConsoleStore)
        // (The PostgreSQL database is shared with the suite's other tests, whose consoles' chain monitors verify
        // every device, this one included, and cache its subtrees meanwhile.)
        if backend == .sqlite { #expect(try await store.merkleNodes(device: device, level: 6, indices: 0...3).isEmpty) }
        // A proof against the checkpoint that covers seq 70 (the tree of 101 leaves) caches the subtree of leaves
        // 0..<64, its sibling on the path.
        let signed = try await Self.proof(collector, device, seq: 70)
        #expect(signed.status == 200 && signed.json["tree_size"]?.int == 101)
        #expect(signed.root == MerkleTree.root(leaves[0..<101]))
        #expect(try await store.merkleNodes(device: device, level: 6, indices: 0...3)[0] == MerkleTree.root(leaves[0..<64]))
        // Later proofs read the cache and still equal the whole tree's.
        for size in sizes { for seq in Set([1, size / 2 + 1, size]) { try await check(seq, size) } }
        try await collector.store.close()
    }

    /// A proof whose tree is larger than `maxProofLeaves` is refused until its subtrees are cached; then it reads
    /// O(log n) and is answered.
    @Test(arguments: Backend.all)
    func aTreeBeyondTheLeafBudgetIsProvedOnceCached(backend: Backend) async throws {
        // No chain check at start: it would warm the cache this test needs cold.
        let generous = try await LiveCollector(backend: backend) { $0.chainCheckAtStart = false }
        try await generous.start()
        defer { Task { await generous.stop() } }
        let (device, leaves) = try await Self.device(generous, count: 200)
        let frugal = try await LiveCollector(backend: backend, store: generous.store) {
            $0.maxProofLeaves = 100
            $0.chainCheckAtStart = false
        }
        try await frugal.start()
        defer { Task { await frugal.stop() } }

        if backend == .sqlite {  // on the shared PostgreSQL database another test's chain monitor may cache first
            let refused = try await Self.proof(frugal, device, seq: 3, size: 204)
            HostileRequestTests.expectRefusal((refused.status, refused.json), 400, "bad_query")
        }
        // Beyond what is stored: not found, before any leaf is read.
        let missing = try await Self.proof(frugal, device, seq: 3, size: leaves.count + 1)
        HostileRequestTests.expectRefusal((missing.status, missing.json), 404, "not_found")

        // The generous collector proves seq 3 and seq 200 against their checkpoints, caching the subtrees.
        for seq in [3, 120, 200] { #expect(try await Self.proof(generous, device, seq: seq).status == 200) }
        let cp = try await Self.proof(frugal, device, seq: 3, size: 204)
        #expect(cp.status == 200, "\(cp.json)")
        #expect(cp.path == MerkleTree.inclusionProof(index: 2, leaves[0..<204]))
        try await generous.store.close()
    }

    /// The chain check starts with the collector, with no console page asked for: after a restart, a proof of a
    /// tree beyond the leaf budget is answered once the check has cached its subtrees, without an earlier proof.
    @Test(arguments: Backend.all)
    func theChainCheckStartsWithTheCollectorAndWarmsTheProofs(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend) { $0.maxProofLeaves = 100 }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, leaves) = try await Self.device(collector, count: 200)
        let store = try #require(collector.store as? any ConsoleStore)
        // Under the checkpoint over 200 events: leaves 0..<64, 64..<128 and 128..<192 (a hang guard, not a timing).
        var cached: [UInt64: [UInt8]] = [:]
        for _ in 0..<600 where cached.count < 3 {
            cached = try await store.merkleNodes(device: device, level: 6, indices: 0...3)
            if cached.count < 3 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(cached == [0: MerkleTree.root(leaves[0..<64]), 1: MerkleTree.root(leaves[64..<128]),
                           2: MerkleTree.root(leaves[128..<192])])
        // Seq 120's checkpoint signs 152 leaves: beyond the budget of 100 unless leaves 0..<64 are cached.
        let p = try await Self.proof(collector, device, seq: 120)
        let size = try #require(p.json["tree_size"]?.int.flatMap { Int(exactly: $0) }, "\(p.json)")
        #expect(p.status == 200 && size > 128, "\(p.json)")
        #expect(p.path == MerkleTree.inclusionProof(index: 119, leaves[0..<size]))
        try await collector.store.close()
    }

    /// An explicit size that a checkpoint signs is that checkpoint's tree: named in the reply and cached once its
    /// root is the signed one; a size no checkpoint signs reads at most `maxUnsignedProofLeaves` uncached leaves
    /// (nothing vouches for what it computes, so every request would read them again).
    @Test(arguments: Backend.all)
    func aSignedSizeIsCachedAndAnUnsignedOneIsBudgeted(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend) {
            $0.chainCheckAtStart = false
            $0.maxUnsignedProofLeaves = 100
        }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, leaves) = try await Self.device(collector, count: 200)
        let store = try #require(collector.store as? any ConsoleStore)
        if backend == .sqlite {  // (on the shared PostgreSQL database another test's chain check may cache first)
            let unsigned = try await Self.proof(collector, device, seq: 70, size: 150)
            HostileRequestTests.expectRefusal((unsigned.status, unsigned.json), 400, "bad_query")
        }
        // Checkpoint 102 signs the tree of 101 leaves: seq 70's proof there caches leaves 0..<64, its sibling.
        let signed = try await Self.proof(collector, device, seq: 70, size: 101)
        #expect(signed.status == 200 && signed.json["checkpoint_seq"]?.int == 102, "\(signed.json)")
        #expect(signed.path == MerkleTree.inclusionProof(index: 69, leaves[0..<101]))
        if backend == .sqlite {
            #expect(try await store.merkleNodes(device: device, level: 6, indices: 0...1)
                == [0: MerkleTree.root(leaves[0..<64])])
        }
        // Now the unsigned size reads only the leaves past the cached subtree (150 - 64 < 100).
        let after = try await Self.proof(collector, device, seq: 70, size: 150)
        #expect(after.status == 200 && after.json["checkpoint_seq"] == nil, "\(after.json)")
        #expect(after.path == MerkleTree.inclusionProof(index: 69, leaves[0..<150]))
        try await collector.store.close()
    }

    /// A stored leaf hash changed in the database: the API refuses a proof against the checkpoint (500, rather
    /// than a proof of a root nobody signed), and the chain check names the row.
    @Test func anAlteredLeafHashIsNoProofAndTheChainCheckNamesIt() async throws {
        let collector = try await LiveCollector(backend: .sqlite) { $0.chainCheckAtStart = false }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, _) = try await Self.device(collector, count: 120)
        let store = try #require(collector.store as? SQLiteCollectorStore)
        try await store.db.write { d in
            try d.execute(sql: "UPDATE events SET leaf_hash = zeroblob(32) WHERE device = ? AND seq = 100",
                          arguments: [device])
        }
        let refused = try await Self.proof(collector, device, seq: 99)
        HostileRequestTests.expectRefusal((refused.status, refused.json), 500, "internal_error")
        #expect(refused.path.isEmpty)
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        var overview = ""
        for _ in 0..<100 where !overview.contains("seq 100: the stored leaf hash differs from the event") {
            overview = try await browser.request(.GET, "/").text
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(overview.contains("seq 100: the stored leaf hash differs from the event"))
        try await collector.store.close()
    }

    /// Query integers are digits only, and a size below seq is a bad query (not "no checkpoint covers it").
    @Test func signedNumbersAndASizeBelowSeqAreBadQueries() async throws {
        let collector = try await LiveCollector(backend: .sqlite) { $0.chainCheckAtStart = false }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (device, _) = try await Self.device(collector, count: 20)
        for query in ["seq=%2B5", "seq=+5", "seq=5&size=%2B9", "seq=5&size=4", "seq=-0"] {
            let r = try await collector.json(.GET, "/v1/devices/\(device)/proof?\(query)")
            HostileRequestTests.expectRefusal((r.status, r.json), 400, "bad_query")
        }
        #expect(try await Self.proof(collector, device, seq: 5, size: 9).status == 200)
        try await collector.store.close()
    }
}
