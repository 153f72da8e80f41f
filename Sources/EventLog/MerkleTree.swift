import Crypto

/// RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: leaf `SHA-256(0x00 ‖ data)`, interior node
/// `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`. Hashes are 32-byte arrays.
public enum MerkleTree {
    /// Hash of one leaf.
    public static func leafHash(_ data: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0])
        h.update(data: data)
        return [UInt8](h.finalize())
    }

    /// Hash of an interior node.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [1])
        h.update(data: left)
        h.update(data: right)
        return [UInt8](h.finalize())
    }

    /// Root of the tree over `leafHashes` (MTH of RFC 6962 section 2.1).
    public static func root<C: RandomAccessCollection>(_ leafHashes: C) -> [UInt8]
    where C.Element == [UInt8], C.Index == Int {
        switch leafHashes.count {
        case 0: return [UInt8](SHA256.hash(data: [UInt8]()))
        case 1: return leafHashes[leafHashes.startIndex]
        default:
            let k = splitPoint(leafHashes.count)
            let s = leafHashes.startIndex
            return nodeHash(root(leafHashes[s..<s + k]), root(leafHashes[(s + k)...]))
        }
    }

    /// Audit path for leaf `index` in the tree over `leafHashes` (PATH of RFC 6962 section 2.1.1).
    public static func inclusionProof<C: RandomAccessCollection>(index: Int, _ leafHashes: C) -> [[UInt8]]
    where C.Element == [UInt8], C.Index == Int {
        precondition(index >= 0 && index < leafHashes.count, "leaf index out of range")
        let n = leafHashes.count
        if n == 1 { return [] }
        let k = splitPoint(n)
        let s = leafHashes.startIndex
        if index < k {
            return inclusionProof(index: index, leafHashes[s..<s + k]) + [root(leafHashes[(s + k)...])]
        }
        return inclusionProof(index: index - k, leafHashes[(s + k)...]) + [root(leafHashes[s..<s + k])]
    }

    /// Verifies an inclusion proof (RFC 9162 section 2.1.3.2).
    public static func verifyInclusion(
        index: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]],
        root: [UInt8]
    ) -> Bool {
        rootFromInclusion(index: index, treeSize: treeSize, leafHash: leafHash, proof: proof) == root
    }

    /// The root an inclusion proof leads to (RFC 9162 section 2.1.3.2, without the final comparison), or nil when
    /// the proof cannot be one for `index` in a tree of `treeSize`.
    public static func rootFromInclusion(
        index: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]]
    ) -> [UInt8]? {
        guard index < treeSize else { return nil }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard p.count == 32 else { return nil }
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    static func splitPoint(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

/// The right edge of a growing Merkle tree: the roots of its perfect subtrees, largest first.
/// Appending a leaf and computing the root cost O(log n) with no access to earlier leaves, so the
/// device keeps its tree without keeping its events.
public struct MerkleFrontier: Sendable, Equatable {
    /// Number of leaves so far.
    public private(set) var size: UInt64 = 0
    /// One hash per set bit of `size`, highest bit first.
    public private(set) var subtrees: [[UInt8]] = []

    public init() {}

    /// Appends one leaf hash.
    public mutating func append(leafHash: [UInt8]) {
        var h = leafHash
        var s = size
        // Every trailing one bit of the old size is a perfect subtree the new leaf completes.
        while s & 1 == 1 {
            h = MerkleTree.nodeHash(subtrees.removeLast(), h)
            s >>= 1
        }
        subtrees.append(h)
        size += 1
    }

    /// The current root.
    public var root: [UInt8] {
        guard var r = subtrees.last else { return MerkleTree.root([[UInt8]]()) }
        for h in subtrees.dropLast().reversed() { r = MerkleTree.nodeHash(h, r) }
        return r
    }

    /// `size` (8 bytes big-endian) followed by the subtree hashes.
    public var serialized: [UInt8] {
        var out = (0..<8).map { UInt8(truncatingIfNeeded: size >> (56 - 8 * $0)) }
        for h in subtrees { out += h }
        return out
    }

    /// Reads `serialized`; nil when the length does not match the size.
    public init?(serialized b: [UInt8]) {
        guard b.count >= 8 else { return nil }
        let n = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard b.count == 8 + 32 * n.nonzeroBitCount else { return nil }
        size = n
        subtrees = stride(from: 8, to: b.count, by: 32).map { Array(b[$0..<$0 + 32]) }
    }
}
