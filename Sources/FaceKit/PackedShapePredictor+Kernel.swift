import SightlineCore

extension PackedShapePredictor {
    /// Runs the cascade on `image` for the face box `geometry` and passes the final shape (`shapeStride`
    /// floats, normalised box coordinates) to `body`. Equals `FaceLandmarker.referenceShape` bit for bit:
    /// the same float and double operations in the same order, trees summed in dlib's order.
    func run<R>(image: Image, geometry: FaceLandmarker.BoxGeometry, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        let stride = shapeStride
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: poolSizes.max() ?? 0) { features in
            let maxTrees = treeCounts.max() ?? 0
            let maxPool = poolSizes.max() ?? 0
            let bytes = stride * 4 + 8 * (maxTrees + maxPool)
            return withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 64) { raw in
                let shape = raw.baseAddress!.bindMemory(to: Float.self, capacity: stride)
                let leafOffsets = (raw.baseAddress! + stride * 4).bindMemory(to: Int.self, capacity: maxTrees + maxPool)
                let offsets = leafOffsets + maxTrees
                initialShape.withUnsafeBufferPointer { initial in
                    shape.initialize(from: initial.baseAddress!, count: stride)
                    image.pixels.withUnsafeBufferPointer { pixels in
                        for level in 0..<levelCount {
                            let (a, b) = FaceLandmarker.similarity(from: initial.baseAddress!, to: shape,
                                                                   count: landmarkCount)
                            extractFeatures(level: level, a: a, b: b, shape: shape, image: image,
                                            pixels: pixels.baseAddress!, geometry: geometry,
                                            offsets: offsets, into: features.baseAddress!)
                            if depth == 4 {
                                applyForest(level: level, depth: 4, features: features.baseAddress!, shape: shape,
                                            leafOffsets: leafOffsets)
                            } else {
                                applyForest(level: level, depth: depth, features: features.baseAddress!, shape: shape,
                                            leafOffsets: leafOffsets)
                            }
                        }
                    }
                }
                return body(UnsafeBufferPointer(start: shape, count: stride))
            }
        }
    }

    /// The level's feature pixels as whole intensities, 0 outside the image. Two passes: first every pixel's byte
    /// offset (−1 outside), without branches so that it vectorises; then the reads.
    @inline(__always)
    private func extractFeatures(level: Int, a: Float, b: Float, shape: UnsafePointer<Float>, image: Image,
                                 pixels: UnsafePointer<UInt8>, geometry: FaceLandmarker.BoxGeometry,
                                 offsets: UnsafeMutablePointer<Int>, into out: UnsafeMutablePointer<Int32>)
    {
        let width = Double(image.width), height = Double(image.height)
        let channels = image.channels, rowBytes = image.width * image.channels
        let count = poolSizes[level]
        deltaX[level].withUnsafeBufferPointer { dx in
        deltaY[level].withUnsafeBufferPointer { dy in
            let columns = UInt(image.width), rows = UInt(image.height)
            for run in anchorRuns[level] {
                let anchorX = shape[run.anchorOffset], anchorY = shape[run.anchorOffset + 1]
                var i = run.range.lowerBound
                while i < run.range.upperBound {
                    let sx = (a * dx[i] - b * dy[i]) + anchorX
                    let sy = (b * dx[i] + a * dy[i]) + anchorY
                    let x = geometry.pixelX(sx), y = geometry.pixelY(sy)
                    // Whole numbers clamped to [−1, size] (NaN to −1), made integers by the 1.5·2⁵² trick.
                    let column = Self.wholeNumber(x >= 0 ? min(x, width) : -1)
                    let row = Self.wholeNumber(y >= 0 ? min(y, height) : -1)
                    let offset = row &* rowBytes &+ column &* channels
                    offsets[i] = UInt(bitPattern: column) < columns ? (UInt(bitPattern: row) < rows ? offset : -1) : -1
                    i &+= 1
                }
            }
        }}
        if channels == 3 {
            for i in 0..<count {
                let at = offsets[i], p = pixels + at
                out[i] = at < 0 ? 0 : Int32((UInt32(p[0]) &+ UInt32(p[1]) &+ UInt32(p[2])) / 3)
            }
        } else {
            for i in 0..<count {
                let at = offsets[i]
                out[i] = at < 0 ? 0 : Int32(pixels[at])
            }
        }
    }

    /// A whole number of magnitude below 2⁵¹ as an integer, without Swift's range check.
    @inline(__always)
    private static func wholeNumber(_ value: Double) -> Int {
        Int(Int32(truncatingIfNeeded: (value + 6_755_399_441_055_744).bitPattern))
    }

    /// Adds the level's trees' leaves to `shape`, tree after tree (dlib's order).
    @inline(__always)
    private func applyForest(level: Int, depth: Int, features: UnsafePointer<Int32>,
                             shape: UnsafeMutablePointer<Float>, leafOffsets: UnsafeMutablePointer<Int>)
    {
        let leafCount = 1 << depth, stride = shapeStride
        let trees = treeCounts[level]
        let splitBlocks = UnsafePointer(splits) + firstTree[level] * leafCount
        let leafBlocks = UnsafePointer(leaves) + firstTree[level] * leafCount * stride
        /// One step down: node's child on the side its split chooses.
        @inline(__always) func step(_ block: UnsafePointer<UInt32>, _ node: Int) -> Int {
            let word = block[node]
            let difference = features[Int(word & 0x7ff)] &- features[Int((word >> 11) & 0x7ff)]
            return 2 &* node &+ (difference > Int32(bitPattern: word >> 22) &- 256 ? 0 : 1)
        }
        // Phase 1 finds every tree's leaf, four trees in step (their dependent loads overlap); phase 2 adds the
        // leaves in tree order. Apart, the leaves' cache misses (the model's 7.7 MB of leaves rarely stay cached
        // between faces) overlap instead of queueing behind the traversals.
        var tree = 0
        while tree &+ 4 <= trees {
            let block = splitBlocks + tree &* leafCount
            var n0 = 1, n1 = 1, n2 = 1, n3 = 1
            for _ in 0..<depth {
                n0 = step(block, n0)
                n1 = step(block + leafCount, n1)
                n2 = step(block + 2 &* leafCount, n2)
                n3 = step(block + 3 &* leafCount, n3)
            }
            let first = tree &* leafCount &- leafCount
            leafOffsets[tree] = (first &+ n0) &* stride
            leafOffsets[tree &+ 1] = (first &+ leafCount &+ n1) &* stride
            leafOffsets[tree &+ 2] = (first &+ 2 &* leafCount &+ n2) &* stride
            leafOffsets[tree &+ 3] = (first &+ 3 &* leafCount &+ n3) &* stride
            tree &+= 4
        }
        while tree < trees {
            let block = splitBlocks + tree &* leafCount
            var node = 1
            for _ in 0..<depth { node = step(block, node) }
            leafOffsets[tree] = (tree &* leafCount &- leafCount &+ node) &* stride
            tree &+= 1
        }
        if stride == 16 {  // up to 8 landmarks: the running shape stays in a register
            var sum = UnsafeRawPointer(shape).load(as: SIMD16<Float>.self)
            for tree in 0..<trees {
                sum += UnsafeRawPointer(leafBlocks + leafOffsets[tree]).load(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(shape).storeBytes(of: sum, as: SIMD16<Float>.self)
        } else {
            for tree in 0..<trees {
                let update = leafBlocks + leafOffsets[tree]
                for k in 0..<stride { shape[k] += update[k] }
            }
        }
    }
}
