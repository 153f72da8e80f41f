/// A `ShapePredictorModel` repacked once at load for the landmark kernel (`FaceLandmarker+Kernel.swift`).
///
/// Splits: one 32-bit word each (feature indices in bits 0–10 and 11–21, the threshold in bits 22–30), a tree's
/// splits in one 64-byte block in 1-based heap order (node n's children at 2n and 2n + 1). The threshold is
/// exact as a small integer: feature pixels are whole intensities, so `f1 − f2 > t` ⇔ `f1 − f2 > ⌊t⌋`, and
/// ⌊t⌋ is clamped to [−256, 255] (a difference lies in [−255, 255]). Leaves: `shapeStride` floats each
/// (the shape update, zero-padded to a multiple of 16), 64-byte aligned, so one leaf is one cache line for
/// models of up to 8 landmarks. Owns its memory; immutable after `init`, hence shareable across threads.
final class PackedShapePredictor: @unchecked Sendable {
    /// Splits on a tree's root-to-leaf path (the tree depth); `1 << depth` words per tree, leaves per tree.
    let depth: Int
    let shapeStride: Int
    let landmarkCount: Int
    let levelCount: Int
    let treeCounts: [Int]
    let poolSizes: [Int]
    /// Per level: the anchor landmark's x offset (2 × anchor) in the shape, and the delta, per feature pixel.
    let anchorOffsets: [[Int32]]
    let deltaX: [[Float]]
    let deltaY: [[Float]]
    /// The mean shape, zero-padded to `shapeStride`.
    let initialShape: [Float]
    /// Start of each level's trees, in trees (the index of its first tree among all trees).
    let firstTree: [Int]
    let splits: UnsafeMutablePointer<UInt32>
    let leaves: UnsafeMutablePointer<Float>

    static let maximumPool = 2048

    /// Packs `model`, or nil when it does not fit the kernel (trees of different depths, a feature pool larger
    /// than 2048 pixels): the landmarker then runs the reference.
    init?(_ model: ShapePredictorModel) {
        guard let splitCount = model.levels.first?.trees.first?.splits.count, splitCount > 0,
              model.levels.allSatisfy({ level in
                  level.anchorIndices.count <= Self.maximumPool && level.trees.allSatisfy { $0.splits.count == splitCount }
              })
        else { return nil }
        let leafCount = splitCount + 1  // a power of two, checked by the reader
        depth = leafCount.trailingZeroBitCount
        landmarkCount = model.landmarkCount
        let values = model.initialShape.count
        shapeStride = (values + 15) / 16 * 16
        levelCount = model.levels.count
        treeCounts = model.levels.map(\.trees.count)
        poolSizes = model.levels.map(\.anchorIndices.count)
        anchorOffsets = model.levels.map { $0.anchorIndices.map { Int32(2 * $0) } }
        deltaX = model.levels.map { $0.deltas.map(\.x) }
        deltaY = model.levels.map { $0.deltas.map(\.y) }
        initialShape = model.initialShape + [Float](repeating: 0, count: shapeStride - values)
        var first: [Int] = [], total = 0
        for count in treeCounts {
            first.append(total)
            total += count
        }
        firstTree = first
        splits = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1) * leafCount * 4, alignment: 64)
            .bindMemory(to: UInt32.self, capacity: total * leafCount)
        splits.initialize(repeating: 0, count: total * leafCount)
        let leafFloats = total * leafCount * shapeStride
        leaves = UnsafeMutableRawPointer.allocate(byteCount: max(leafFloats, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: leafFloats)
        leaves.initialize(repeating: 0, count: leafFloats)
        var tree = 0
        for level in model.levels {
            for regression in level.trees {
                for (node, split) in regression.splits.enumerated() {
                    splits[tree * leafCount + node + 1] = Self.pack(split)
                }
                for leaf in 0..<leafCount {
                    let target = leaves + (tree * leafCount + leaf) * shapeStride
                    for k in 0..<values { target[k] = regression.leafValues[leaf * values + k] }
                }
                tree += 1
            }
        }
    }

    deinit {
        splits.deallocate()
        leaves.deallocate()
    }

    /// One split as a word: index1 | index2 << 11 | (⌊threshold⌋ + 256) << 22.
    static func pack(_ split: ShapePredictorModel.Split) -> UInt32 {
        let threshold: Float = split.threshold.isNaN ? 255 : min(max(split.threshold.rounded(.down), -256), 255)
        return UInt32(split.index1) | UInt32(split.index2) << 11 | UInt32(Int(threshold) + 256) << 22
    }
}
