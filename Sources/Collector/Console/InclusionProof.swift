import EventLog

/// A perfect subtree of a device's Merkle tree: leaves `index << level ..< (index + 1) << level` (0-based).
public struct MerkleNodeID: Hashable, Sendable, Comparable {
    public var level: Int
    public var index: UInt64

    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    var firstLeaf: UInt64 { index << UInt64(level) }
    var endLeaf: UInt64 { (index + 1) << UInt64(level) }

    public static func < (a: MerkleNodeID, b: MerkleNodeID) -> Bool { (a.level, a.index) < (b.level, b.index) }
}

/// Where an inclusion proof's hashes come from: the stored leaf hashes, and the subtree hashes cached by earlier
/// proofs (`ConsoleStore.merkleNodes`).
protocol MerkleNodeSource: Sendable {
    /// Leaf hashes of leaves `from ..< to` (0-based; seq = leaf + 1), in order; fewer when some are not stored.
    func leafHashes(from: UInt64, to: UInt64) async throws -> [[UInt8]]
    /// The cached hashes among `nodes`.
    func cachedNodes(_ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]]
    /// The cached hashes at `level` with an index in `indices`.
    func cachedNodes(level: Int, indices: ClosedRange<UInt64>) async throws -> [UInt64: [UInt8]]
}

/// RFC 6962 inclusion proofs (the same as `MerkleTree.inclusionProof`) from O(log n) stored data.
///
/// A proof of leaf `index` in a tree of `size` is a list of subtree roots (PATH of RFC 6962 section 2.1.1), each
/// the root of a run of perfect subtrees (`plan`). Those below `blockLevel` lie in the leaf's own block of
/// 2^blockLevel leaves or in the tree's last block: at most two range reads of that many leaves. Those at or above
/// it are read from the cache, one query. A subtree not cached yet is computed from its cached descendants (one
/// range query per level) and, below them, from its leaves; it is returned in `computed`, which the caller caches
/// once the proof has verified against a signed checkpoint: a hash that took part in a verified proof is the true
/// subtree root (else SHA-256 collides), so the cache never holds a wrong value, whatever the stored rows hold.
struct InclusionProofBuilder {
    /// The console's `blockLevel`: subtrees of 64 leaves and more are cached.
    static let cachedLevel = 6
    /// Subtrees of 2^blockLevel leaves and more are cached; smaller ones are hashed from their leaves.
    let blockLevel: Int
    let source: any MerkleNodeSource
    /// Leaves one proof may read: a tree whose uncached part is larger is refused (`Failure.budgetExceeded`).
    let leafBudget: UInt64
    private(set) var leavesRead: UInt64 = 0
    /// Subtrees at or above `blockLevel` computed here (not read from the cache).
    private(set) var computed: [MerkleNodeID: [UInt8]] = [:]

    enum Failure: Error, Equatable {
        /// Leaves of the tree are missing from the store.
        case missingLeaves
        /// Computing the uncached subtrees would read more than `leafBudget` leaves.
        case budgetExceeded
    }

    init(source: any MerkleNodeSource, leafBudget: UInt64, blockLevel: Int = cachedLevel) {
        precondition(blockLevel >= 0 && blockLevel < 32, "blockLevel out of range")
        self.source = source
        self.leafBudget = leafBudget
        self.blockLevel = blockLevel
    }

    /// The proof's hashes as perfect subtrees: entry k is the k-th hash of PATH(index, size), the root of its
    /// subtrees (largest first, folded from the right as MTH does). Needs `index < size`.
    static func plan(index: UInt64, size: UInt64) -> [[MerkleNodeID]] {
        precondition(index < size, "leaf index out of range")
        var path: [[MerkleNodeID]] = []
        // PATH recurses into the half holding the leaf and appends the other half's root after the deeper
        // hashes: walking down, the hashes come out root first, so they are reversed at the end.
        var lo: UInt64 = 0, hi = size
        while hi - lo > 1 {
            let k = splitPoint(hi - lo)
            if index < lo + k {
                path.append(runs(lo + k, hi))
                hi = lo + k
            } else {
                path.append(runs(lo, lo + k))
                lo += k
            }
        }
        return path.reversed()
    }

    /// The perfect subtrees whose MTH is the root of leaves `lo ..< hi` (`lo` a multiple of the power of two at
    /// or above `hi - lo`, as every range of PATH is), largest first.
    static func runs(_ lo: UInt64, _ hi: UInt64) -> [MerkleNodeID] {
        var out: [MerkleNodeID] = []
        var lo = lo
        while lo < hi {
            let n = hi - lo
            let k = n.nonzeroBitCount == 1 ? n : splitPoint(n)
            let level = k.trailingZeroBitCount
            out.append(MerkleNodeID(level: level, index: lo >> UInt64(level)))
            lo += k
        }
        return out
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    static func splitPoint(_ n: UInt64) -> UInt64 { 1 << UInt64(63 - (n - 1).leadingZeroBitCount) }

    /// PATH(index, size) of RFC 6962: the sibling hashes from the leaf up.
    mutating func proof(index: UInt64, size: UInt64) async throws -> [[UInt8]] {
        let plan = Self.plan(index: index, size: size)
        let needed = Set(plan.joined())
        var hashes: [MerkleNodeID: [UInt8]] = [:]
        // Small subtrees from their leaves, one range read per block they lie in.
        let low = needed.filter { $0.level < blockLevel }
        for (_, nodes) in Dictionary(grouping: low, by: { $0.firstLeaf >> UInt64(blockLevel) }) {
            let from = nodes.map(\.firstLeaf).min()!, to = nodes.map(\.endLeaf).max()!
            let leaves = try await read(from, to)
            for n in nodes {
                hashes[n] = MerkleTree.root(leaves[Int(n.firstLeaf - from)..<Int(n.endLeaf - from)])
            }
        }
        // Large ones from the cache, or computed.
        let high = needed.filter { $0.level >= blockLevel }.sorted()
        if !high.isEmpty {
            hashes.merge(try await source.cachedNodes(high)) { a, _ in a }
            let missing = high.filter { hashes[$0] == nil }
            if !missing.isEmpty { hashes.merge(try await compute(missing)) { a, _ in a } }
        }
        return plan.map { runs in
            var r = hashes[runs.last!]!
            for n in runs.dropLast().reversed() { r = MerkleTree.nodeHash(hashes[n]!, r) }
            return r
        }
    }

    /// Leaves `from ..< to`, counted against the budget; all of them or `missingLeaves`.
    private mutating func read(_ from: UInt64, _ to: UInt64) async throws -> [[UInt8]] {
        guard to - from <= leafBudget - min(leafBudget, leavesRead) else { throw Failure.budgetExceeded }
        leavesRead += to - from
        let leaves = try await source.leafHashes(from: from, to: to)
        guard leaves.count == Int(to - from), leaves.allSatisfy({ $0.count == 32 }) else {
            throw Failure.missingLeaves
        }
        return leaves
    }

    /// Hashes of `nodes` (all at or above `blockLevel`, none cached): their descendants are looked up level by
    /// level down to `blockLevel`, whose uncached blocks are hashed from their leaves; then built back up.
    private mutating func compute(_ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]] {
        var known: [MerkleNodeID: [UInt8]] = [:]
        var pending: [Int: Set<UInt64>] = [:]
        for n in nodes { pending[n.level, default: []].insert(n.index) }
        let top = nodes.map(\.level).max()!
        var level = top
        while level > blockLevel {
            let children = Set((pending[level] ?? []).flatMap { [2 * $0, 2 * $0 + 1] })
            if let lo = children.min(), let hi = children.max() {
                let cached = try await source.cachedNodes(level: level - 1, indices: lo...hi)
                for c in children {
                    if let h = cached[c] {
                        known[MerkleNodeID(level: level - 1, index: c)] = h
                    } else {
                        pending[level - 1, default: []].insert(c)
                    }
                }
            }
            level -= 1
        }
        // Blocks to hash from their leaves, read in contiguous runs of at most 256 blocks.
        let blocks = (pending[blockLevel] ?? []).sorted()
        guard UInt64(blocks.count) <= (leafBudget - min(leafBudget, leavesRead)) >> UInt64(blockLevel) else {
            throw Failure.budgetExceeded
        }
        var i = 0
        while i < blocks.count {
            var j = i + 1
            while j < blocks.count, blocks[j] == blocks[j - 1] + 1, j - i < 256 { j += 1 }
            let width = UInt64(1) << UInt64(blockLevel)
            let leaves = try await read(blocks[i] * width, (blocks[j - 1] + 1) * width)
            for (k, b) in blocks[i..<j].enumerated() {
                let start = k << blockLevel
                let id = MerkleNodeID(level: blockLevel, index: b)
                known[id] = MerkleTree.root(leaves[start..<start + (1 << blockLevel)])
                computed[id] = known[id]
            }
            i = j
        }
        for level in stride(from: blockLevel + 1, through: top, by: 1) {
            for index in pending[level] ?? [] {
                let id = MerkleNodeID(level: level, index: index)
                guard let left = known[MerkleNodeID(level: level - 1, index: 2 * index)],
                    let right = known[MerkleNodeID(level: level - 1, index: 2 * index + 1)]
                else { throw Failure.missingLeaves }
                known[id] = MerkleTree.nodeHash(left, right)
                computed[id] = known[id]
            }
        }
        return known
    }
}

/// The hashes of one device's tree in a console store.
struct StoreMerkleNodes: MerkleNodeSource {
    let store: any CollectorStore & ConsoleStore
    let device: String

    func leafHashes(from: UInt64, to: UInt64) async throws -> [[UInt8]] {
        try await store.leafHashes(device: device, after: from, through: to)
    }

    func cachedNodes(_ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]] {
        try await store.merkleNodes(device: device, nodes)
    }

    func cachedNodes(level: Int, indices: ClosedRange<UInt64>) async throws -> [UInt64: [UInt8]] {
        try await store.merkleNodes(device: device, level: level, indices: indices)
    }
}
