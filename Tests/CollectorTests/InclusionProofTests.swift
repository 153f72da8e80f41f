import Collector
import EventLog
import Foundation
import SightlineCore
import SightlineTestKit
import Synchronization
import Testing

@testable import Collector

/// The console's inclusion proofs from cached subtree roots (`InclusionProofBuilder`) equal RFC 6962's PATH as
/// `MerkleTree.inclusionProof` computes it from every leaf, and read O(log n) data once the cache is warm.
@Suite struct InclusionProofTests {
    /// Leaves and a subtree cache in memory; counts what is read.
    final class MemoryNodes: MerkleNodeSource {
        struct State {
            var cache: [MerkleNodeID: [UInt8]] = [:]
            var leavesRead = 0
            var queries = 0
        }

        let leaves: [[UInt8]]
        let state = Mutex(State())

        init(count: Int, seed: UInt64 = 7) {
            var rng = SeededGenerator(seed: seed)
            leaves = (0..<count).map { _ in
                MerkleTree.leafHash((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
        }

        func leafHashes(from: UInt64, to: UInt64) async throws -> [[UInt8]] {
            let slice = Array(leaves[Int(min(from, UInt64(leaves.count)))..<Int(min(to, UInt64(leaves.count)))])
            state.withLock {
                $0.leavesRead += slice.count
                $0.queries += 1
            }
            return slice
        }

        func cachedNodes(_ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]] {
            state.withLock { s in
                s.queries += 1
                return s.cache.filter { nodes.contains($0.key) }
            }
        }

        func cachedNodes(level: Int, indices: ClosedRange<UInt64>) async throws -> [UInt64: [UInt8]] {
            state.withLock { s in
                s.queries += 1
                var out: [UInt64: [UInt8]] = [:]
                for (id, hash) in s.cache where id.level == level && indices.contains(id.index) { out[id.index] = hash }
                return out
            }
        }

        /// A proof of leaf `index` in the tree of `size`, caching what it computed when it verifies (as the console
        /// does); the leaves and queries it took.
        func proof(index: UInt64, size: UInt64, blockLevel: Int, budget: UInt64 = 1 << 20) async throws
            -> (proof: [[UInt8]], leaves: Int, queries: Int)
        {
            let before = state.withLock { ($0.leavesRead, $0.queries) }
            var builder = InclusionProofBuilder(source: self, leafBudget: budget, blockLevel: blockLevel)
            let path = try await builder.proof(index: index, size: size)
            let root = MerkleTree.root(leaves[0..<Int(size)])
            if MerkleTree.verifyInclusion(
                index: index, treeSize: size, leafHash: leaves[Int(index)], proof: path, root: root)
            {
                let computed = builder.computed
                state.withLock { $0.cache.merge(computed) { a, _ in a } }
            }
            let after = state.withLock { ($0.leavesRead, $0.queries) }
            return (path, after.0 - before.0, after.1 - before.1)
        }
    }

    @Test func everyLeafOfEverySmallTreeAgreesWithTheReference() async throws {
        for blockLevel in [0, 2] {
            let nodes = MemoryNodes(count: 70)
            for size in 1...70 {
                for index in 0..<size {
                    let got = try await nodes.proof(index: UInt64(index), size: UInt64(size), blockLevel: blockLevel)
                    let want = MerkleTree.inclusionProof(index: index, nodes.leaves[0..<size])
                    #expect(got.proof == want, "leaf \(index) of \(size), block level \(blockLevel)")
                }
            }
        }
    }

    @Test func randomTreesAgreeWithTheReferenceAndAWarmCacheReadsLogarithmically() async throws {
        let count = 5000
        let nodes = MemoryNodes(count: count, seed: 11)
        var rng = SeededGenerator(seed: 3)
        let blockLevel = 4
        var pairs: [(UInt64, UInt64)] = (0..<300).map { _ in
            let size = UInt64.random(in: 1...UInt64(count), using: &rng)
            return (UInt64.random(in: 0..<size, using: &rng), size)
        }
        pairs += [(0, 1), (0, UInt64(count)), (UInt64(count) - 1, UInt64(count)), (4095, 4096), (4096, 4097)]
        for (index, size) in pairs {
            let got = try await nodes.proof(index: index, size: size, blockLevel: blockLevel)
            #expect(got.proof == MerkleTree.inclusionProof(index: Int(index), nodes.leaves[0..<Int(size)]),
                    "leaf \(index) of \(size)")
        }
        // Warm: every proof over the full tree again reads at most two blocks of leaves and a bounded number of
        // queries (two blocks, one cache lookup), whatever the tree's size.
        let full = UInt64(count)
        _ = try await nodes.proof(index: 0, size: full, blockLevel: blockLevel)
        _ = try await nodes.proof(index: full - 1, size: full, blockLevel: blockLevel)
        for index in stride(from: UInt64(0), to: full, by: 97) {
            let got = try await nodes.proof(index: index, size: full, blockLevel: blockLevel)
            #expect(got.proof == MerkleTree.inclusionProof(index: Int(index), nodes.leaves))
            #expect(got.leaves <= 2 << blockLevel, "leaf \(index): \(got.leaves) leaves read")
            #expect(got.queries <= 3, "leaf \(index): \(got.queries) queries")
        }
        // Cold, the same proof reads the whole tree (the old cost), once.
        let cold = MemoryNodes(count: count, seed: 11)
        let first = try await cold.proof(index: 1234, size: full, blockLevel: blockLevel)
        #expect(first.proof == MerkleTree.inclusionProof(index: 1234, cold.leaves))
        #expect(first.leaves >= count - (2 << blockLevel))
    }

    @Test func aCachedSubtreeIsUsedInsteadOfItsLeaves() async throws {
        // Grown tree: the sibling of the new half is a subtree already cached by a proof in the smaller tree.
        let nodes = MemoryNodes(count: 2048)
        _ = try await nodes.proof(index: 5, size: 1024, blockLevel: 3)
        let grown = try await nodes.proof(index: 1500, size: 2048, blockLevel: 3)
        #expect(grown.proof == MerkleTree.inclusionProof(index: 1500, nodes.leaves))
        // The right half (1024 leaves) is read once; the left half comes from the cache.
        #expect(grown.leaves <= 1024 + 16)
    }

    @Test func missingLeavesAndTheBudgetAreTypedFailures() async throws {
        let nodes = MemoryNodes(count: 100)
        // A tree larger than what is stored.
        await #expect(throws: InclusionProofBuilder.Failure.missingLeaves) {
            _ = try await nodes.proof(index: 3, size: 200, blockLevel: 2)
        }
        // A cold tree larger than the budget.
        await #expect(throws: InclusionProofBuilder.Failure.budgetExceeded) {
            _ = try await nodes.proof(index: 3, size: 100, blockLevel: 2, budget: 50)
        }
        #expect(nodes.state.withLock { $0.cache.isEmpty }, "nothing cached from a failed proof")
    }

    @Test func thePlanListsPerfectAlignedSubtreesCoveringTheOtherLeaves() {
        for size in UInt64(1)...300 {
            for index in [0, size / 3, size / 2, size - 1] {
                let plan = InclusionProofBuilder.plan(index: index, size: size)
                let nodes = plan.joined()
                // Disjoint, aligned, inside the tree, and together every leaf but `index`.
                var covered = Set<UInt64>()
                for n in nodes {
                    let range = (n.index << UInt64(n.level))..<((n.index + 1) << UInt64(n.level))
                    #expect(range.upperBound <= size)
                    for leaf in range { #expect(covered.insert(leaf).inserted) }
                }
                #expect(covered == Set(0..<size).subtracting([index]), "leaf \(index) of \(size)")
            }
        }
    }

    /// A device that sent `count` frame.stats with a checkpoint after the 150th, delivered; a reviewer signed in.
    static func device(_ collector: LiveCollector, events count: Int) async throws
        -> (key: DeviceKey, console: any CollectorStore & ConsoleStore, browser: ConsoleClient)
    {
        let key = try await collector.registerDevice("proof-box")
        let log = try makeLog(key: key, checkpointEvery: 150)
        for i in 0..<count { _ = try log.emit(camera: "north", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        try await AccessTests.deliver(log, to: collector)
        let console = try #require(collector.store as? any CollectorStore & ConsoleStore)
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        return (key, console, browser)
    }

    /// The event page caches the subtree roots of a verified proof and later proofs use them instead of the leaves:
    /// after a first view, another event's stored leaf hash changed in the database no longer enters this event's
    /// proof (still verified), while that event's own page shows the changed row.
    @Test(arguments: Backend.all)
    func theEventPageCachesVerifiedSubtreesAndUsesThem(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, console, browser) = try await Self.device(collector, events: 150)
        let id = ConsoleHTML.urlComponent(key.deviceID)
        // Not asserted empty here: the background chain check may fill the cache under the checkpoint at any time.
        #expect(try await browser.request(.GET, "/events/\(id)/5").text.contains("Verified: signed, chained"))
        // Leaf 4 (seq 5) needs the roots of leaves 64..<128 (level 6, index 1) and of 128..<150 among others.
        let cached = try await console.merkleNodes(device: key.deviceID, level: 6, indices: 0...1)
        // (The background chain check may have cached leaves 0..<64 meanwhile: verified, so right if there.)
        #expect(cached.keys.contains(1))
        let leaves = try await collector.store.leafHashes(device: key.deviceID, through: 150)
        #expect(cached[1] == MerkleTree.root(leaves[64..<128]))
        if let first = cached[0] { #expect(first == MerkleTree.root(leaves[0..<64])) }
        guard backend == .sqlite, let store = collector.store as? SQLiteCollectorStore else {
            try await collector.store.close()
            return
        }
        try await store.db.write { d in
            try d.execute(
                sql: "UPDATE events SET leaf_hash = zeroblob(32) WHERE device = ? AND seq = 100",
                arguments: [key.deviceID])
        }
        #expect(try await browser.request(.GET, "/events/\(id)/5").text.contains("Verified: signed, chained"))
        let changed = try await browser.request(.GET, "/events/\(id)/100").text
        #expect(changed.contains("Not verified") && changed.contains("columns differ from the event"))
        try await collector.store.close()
    }

    /// The background chain check starts with the collector (no page asked for) and caches the subtree roots under
    /// each checkpoint it verifies: the first event page already finds them.
    @Test(arguments: Backend.all)
    func theChainCheckCachesSubtreesUnderVerifiedCheckpoints(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, console, browser) = try await Self.device(collector, events: 170)
        var cached: [UInt64: [UInt8]] = [:]
        for _ in 0..<300 where cached.count < 2 {
            cached = try await console.merkleNodes(device: key.deviceID, level: 6, indices: 0...2)
            if cached.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
        }
        let leaves = try await collector.store.leafHashes(device: key.deviceID, through: 171)
        // Under the checkpoint over 150 events: leaves 0..<64 and 64..<128, and their parent; 128..<192 is not
        // complete under any verified checkpoint.
        #expect(cached == [0: MerkleTree.root(leaves[0..<64]), 1: MerkleTree.root(leaves[64..<128])])
        #expect(try await console.merkleNodes(device: key.deviceID, level: 7, indices: 0...1)
            == [0: MerkleTree.root(leaves[0..<128])])
        #expect(try await browser.request(.GET, "/events/\(ConsoleHTML.urlComponent(key.deviceID))/5").text
            .contains("Verified: signed, chained"))
        try await collector.store.close()
    }

    /// The cache in the real stores: entries saved are read back by list and by range, and an entry is never
    /// replaced.
    @Test(arguments: Backend.all)
    func theStoresKeepSubtreeRoots(backend: Backend) async throws {
        let store = try backend.makeStore()
        try await store.migrate()
        let console = try #require(store as? any CollectorStore & ConsoleStore)
        try await console.migrateConsole()
        let device = "dev-\(UUID().uuidString)"
        let a = MerkleNodeID(level: 6, index: 0), b = MerkleNodeID(level: 6, index: 1)
        let c = MerkleNodeID(level: 7, index: 1 << 40)
        let hash = { (n: UInt8) in [UInt8](repeating: n, count: 32) }
        try await console.saveMerkleNodes(device: device, [a: hash(1), b: hash(2), c: hash(3)])
        try await console.saveMerkleNodes(device: device, [a: hash(9)])
        try await console.saveMerkleNodes(device: "other-\(device)", [b: hash(8)])
        #expect(try await console.merkleNodes(device: device, [a, c, MerkleNodeID(level: 6, index: 2)])
            == [a: hash(1), c: hash(3)])
        #expect(try await console.merkleNodes(device: device, level: 6, indices: 0...5) == [0: hash(1), 1: hash(2)])
        #expect(try await console.merkleNodes(device: device, level: 7, indices: 0...(1 << 41)) == [1 << 40: hash(3)])
        #expect(try await console.merkleNodes(device: device, []).isEmpty)
        try await store.close()
    }
}
