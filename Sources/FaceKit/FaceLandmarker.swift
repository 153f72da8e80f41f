import SightlineCore

/// A landmark in image pixels (dlib rounds parts to integer points).
public struct FacePoint: Sendable, Hashable, Codable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// dlib's `shape_predictor` (an ensemble of regression trees, Kazemi & Sullivan) run on an image and a face
/// box, with dlib's arithmetic: feature pixels placed relative to their anchor landmark through the
/// similarity transform from the mean shape to the current shape, then read as intensities
/// ((r+g+b)/3 for RGB) at the rounded position, 0 outside the image.
///
/// A value type; `landmarks` allocates a small feature buffer per call and is safe to call concurrently.
public struct FaceLandmarker: Sendable {
    public let model: ShapePredictorModel

    /// The cascade flattened for speed: per level, its trees' splits and leaves in contiguous arrays.
    struct FlatLevel: Sendable {
        var anchors: [Int]
        var deltas: [SIMD2<Float>]
        var treeCount: Int
        var splitsPerTree: Int
        /// Splits, `splitStride` per tree (idx1, idx2 and threshold packed in 8 bytes, so that the nodes a tree
        /// visits share one or two cache lines).
        var splits: [PackedSplit]
        var splitStride: Int
        /// `shapeStride` floats per leaf (the shape update, zero-padded), leaf after leaf, tree after tree.
        var leaves: [Float]
    }

    let levels: [FlatLevel]
    let shapeStride: Int

    struct PackedSplit: Sendable {
        var index1: UInt16
        var index2: UInt16
        var threshold: Float
    }

    public init(model: ShapePredictorModel) {
        self.model = model
        let stride = (model.initialShape.count + 15) / 16 * 16
        shapeStride = stride
        levels = model.levels.map { level in
            let splitsPerTree = level.trees.first?.splits.count ?? 0
            let splitStride = (splitsPerTree + 7) / 8 * 8
            precondition(level.anchorIndices.count <= Int(UInt16.max) + 1, "feature pool too large")
            var splits: [PackedSplit] = [], leaves: [Float] = []
            for tree in level.trees {
                precondition(tree.splits.count == splitsPerTree, "trees of one level differ in depth")
                for split in tree.splits {
                    splits.append(PackedSplit(index1: UInt16(split.index1), index2: UInt16(split.index2),
                                              threshold: split.threshold))
                }
                splits += repeatElement(PackedSplit(index1: 0, index2: 0, threshold: 0),
                                        count: splitStride - splitsPerTree)
                let values = model.initialShape.count
                for leaf in 0..<tree.leafCount {
                    leaves.append(contentsOf: tree.leafValues[leaf * values..<(leaf + 1) * values])
                    leaves.append(contentsOf: repeatElement(0, count: stride - values))
                }
            }
            return FlatLevel(anchors: level.anchorIndices, deltas: level.deltas, treeCount: level.trees.count,
                             splitsPerTree: splitsPerTree, splits: splits, splitStride: splitStride, leaves: leaves)
        }
    }

    /// The landmarks of the face in `box` (for the 5-point model: right eye outer and inner corner, left eye
    /// outer and inner corner, bottom of the nose — dlib's order).
    public func landmarks(in image: Image, box: FaceBox) -> [FacePoint] {
        let initial = model.initialShape
        let count = model.landmarkCount
        let values = initial.count
        var shape = [Float](repeating: 0, count: shapeStride)
        for i in 0..<values { shape[i] = initial[i] }
        let left = Double(box.left), top = Double(box.top)
        let spanX = Double(box.right - box.left), spanY = Double(box.bottom - box.top)
        var features = [Float](repeating: 0, count: levels.map(\.anchors.count).max() ?? 0)
        let maxTrees = levels.map(\.treeCount).max() ?? 0
        var leafIndexStorage = [Int32](repeating: 0, count: maxTrees)
        leafIndexStorage.withUnsafeMutableBufferPointer { leafIndex in
        image.pixels.withUnsafeBufferPointer { pixels in
            shape.withUnsafeMutableBufferPointer { shapePointer in
                let current = shapePointer.baseAddress!
                for level in levels {
                    let (a, b) = similarity(from: initial, to: current, count: count)
                    let pixelCount = level.anchors.count
                    features.withUnsafeMutableBufferPointer { out in
                    level.anchors.withUnsafeBufferPointer { anchors in
                    level.deltas.withUnsafeBufferPointer { deltas in
                        for i in 0..<pixelCount {
                            // dlib: float 2×2 transform of the delta plus the anchor, then the unnormalising affine
                            // map in double, rounded to the nearest pixel.
                            let anchor = anchors[i], delta = deltas[i]
                            let sx = (a * delta.x - b * delta.y) + current[2 &* anchor]
                            let sy = (b * delta.x + a * delta.y) + current[2 &* anchor &+ 1]
                            let x = Int((left + Double(sx) * spanX + 0.5).rounded(.down))
                            let y = Int((top + Double(sy) * spanY + 0.5).rounded(.down))
                            out[i] = intensity(pixels, image, x, y)
                        }
                    }}}
                    features.withUnsafeBufferPointer { feature in
                    level.splits.withUnsafeBufferPointer { packed in
                    level.leaves.withUnsafeBufferPointer { leaves in
                        let splits = level.splitsPerTree, stride = level.splitStride
                        let leafCount = splits + 1
                        // Phase 1: every tree's leaf, branch-free (trees are independent, so their latencies
                        // overlap). Phase 2: add the leaves in tree order, as dlib does.
                        let treeCount = level.treeCount
                        for tree in 0..<treeCount { leafIndex[tree] = 0 }
                        var depthNodes = 1
                        while depthNodes <= splits {  // one tree level at a time, all trees
                            for tree in 0..<treeCount {
                                let node = Int(leafIndex[tree])
                                let split = packed[tree &* stride &+ node]
                                let difference = feature[Int(split.index1)] - feature[Int(split.index2)]
                                leafIndex[tree] = Int32(2 &* node &+ (difference > split.threshold ? 1 : 2))
                            }
                            depthNodes = 2 * depthNodes + 1
                        }
                        for tree in 0..<treeCount {
                            leafIndex[tree] = Int32(tree &* leafCount) &+ leafIndex[tree] &- Int32(splits)
                        }
                        if shapeStride == 16 {  // up to 8 landmarks: the running shape stays in a register
                            var sum = UnsafeRawPointer(current).loadUnaligned(as: SIMD16<Float>.self)
                            for tree in 0..<level.treeCount {
                                sum += UnsafeRawPointer(leaves.baseAddress! + Int(leafIndex[tree]) * 16)
                                    .loadUnaligned(as: SIMD16<Float>.self)
                            }
                            UnsafeMutableRawPointer(current).storeBytes(of: sum, as: SIMD16<Float>.self)
                        } else {
                            for tree in 0..<level.treeCount {
                                let leaf = leaves.baseAddress! + Int(leafIndex[tree]) * shapeStride
                                for k in 0..<shapeStride { current[k] += leaf[k] }
                            }
                        }
                    }}}
                }
            }
        }
        }
        return (0..<count).map { part in
            FacePoint(x: Int((left + Double(shape[2 * part]) * spanX + 0.5).rounded(.down)),
                      y: Int((top + Double(shape[2 * part + 1]) * spanY + 0.5).rounded(.down)))
        }
    }

    @inline(__always)
    private func intensity(_ pixels: UnsafeBufferPointer<UInt8>, _ image: Image, _ x: Int, _ y: Int) -> Float {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return 0 }
        let index = (y * image.width + x) * image.channels
        if image.channels == 1 { return Float(pixels[index]) }
        return Float((UInt32(pixels[index]) + UInt32(pixels[index + 1]) + UInt32(pixels[index + 2])) / 3)
    }

    /// The rotation-and-scale part [[a, −b], [b, a]] of the least-squares similarity transform between two
    /// shapes (Umeyama; for 2-D points it has this closed form), in double, returned as floats like dlib.
    private func similarity(from: [Float], to: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var meanFrom = (0.0, 0.0), meanTo = (0.0, 0.0)
        for i in 0..<count {
            meanFrom.0 += Double(from[2 * i]); meanFrom.1 += Double(from[2 * i + 1])
            meanTo.0 += Double(to[2 * i]); meanTo.1 += Double(to[2 * i + 1])
        }
        let n = Double(count)
        meanFrom = (meanFrom.0 / n, meanFrom.1 / n)
        meanTo = (meanTo.0 / n, meanTo.1 / n)
        var sigma = 0.0, dotSum = 0.0, crossSum = 0.0
        for i in 0..<count {
            let fx = Double(from[2 * i]) - meanFrom.0, fy = Double(from[2 * i + 1]) - meanFrom.1
            let tx = Double(to[2 * i]) - meanTo.0, ty = Double(to[2 * i + 1]) - meanTo.1
            sigma += fx * fx + fy * fy
            dotSum += tx * fx + ty * fy
            crossSum += ty * fx - tx * fy
        }
        guard sigma > 0 else { return (1, 0) }
        return (Float(dotSum / sigma), Float(crossSum / sigma))
    }
}
