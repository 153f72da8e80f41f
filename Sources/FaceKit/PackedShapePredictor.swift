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
    /// Per level: its feature pixels grouped by anchor landmark (the model's order within a group; split indices
    /// renumbered to match), as runs: the anchor's x offset (2 × anchor) in the shape and the run's range.
    let anchorRuns: [[(anchorOffset: Int, range: Range<Int>)]]
    /// Per level and feature pixel: its offset from the anchor landmark.
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
                  level.anchorIndices.count <= Self.maximumPool
                      && level.trees.allSatisfy { $0.splits.count == splitCount }
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
        // order[level][new] = old; position[level][old] = new.
        let order = model.levels.map { level in level.anchorIndices.indices.sorted {
            (level.anchorIndices[$0], $0) < (level.anchorIndices[$1], $1)
        } }
        var position = order.map { [Int](repeating: 0, count: $0.count) }
        for (level, levelOrder) in order.enumerated() {
            for (new, old) in levelOrder.enumerated() { position[level][old] = new }
        }
        anchorRuns = zip(model.levels, order).map { level, levelOrder in
            var runs: [(anchorOffset: Int, range: Range<Int>)] = []
            var start = 0
            for new in levelOrder.indices where new + 1 == levelOrder.count
                || level.anchorIndices[levelOrder[new + 1]] != level.anchorIndices[levelOrder[new]]
            {
                runs.append((2 * level.anchorIndices[levelOrder[new]], start..<new + 1))
                start = new + 1
            }
            return runs
        }
        deltaX = zip(model.levels, order).map { level, levelOrder in levelOrder.map { level.deltas[$0].x } }
        deltaY = zip(model.levels, order).map { level, levelOrder in levelOrder.map { level.deltas[$0].y } }
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
        for (levelIndex, level) in model.levels.enumerated() {
            for regression in level.trees {
                for (node, split) in regression.splits.enumerated() {
                    var renumbered = split
                    renumbered.index1 = position[levelIndex][split.index1]
                    renumbered.index2 = position[levelIndex][split.index2]
                    splits[tree * leafCount + node + 1] = Self.pack(renumbered)
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
