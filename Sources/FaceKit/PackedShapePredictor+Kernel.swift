import SightlineCore

extension PackedShapePredictor {
    /// Runs the cascade on `image` for the face box `geometry` and passes the final shape (`shapeStride`
    /// floats, normalised box coordinates) to `body`. Equals `FaceLandmarker.referenceShape` bit for bit:
    /// the same float and double operations in the same order, trees summed in dlib's order.
    func run<R>(image: Image, geometry: FaceLandmarker.BoxGeometry, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        let stride = shapeStride
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: poolSizes.max() ?? 0) { features in
            let maxTrees = treeCounts.max() ?? 0
            return withUnsafeTemporaryAllocation(byteCount: stride * 4 + 8 * maxTrees, alignment: 64) { raw in
                let shape = raw.baseAddress!.bindMemory(to: Float.self, capacity: stride)
                let leafOffsets = (raw.baseAddress! + stride * 4).bindMemory(to: Int.self, capacity: maxTrees)
                initialShape.withUnsafeBufferPointer { initial in
                    shape.initialize(from: initial.baseAddress!, count: stride)
                    image.pixels.withUnsafeBufferPointer { pixels in
                        for level in 0..<levelCount {
                            let (a, b) = FaceLandmarker.similarity(from: initial.baseAddress!, to: shape,
                                                                   count: landmarkCount)
                            extractFeatures(level: level, a: a, b: b, shape: shape, image: image,
                                            pixels: pixels.baseAddress!, geometry: geometry,
                                            into: features.baseAddress!)
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

    /// The level's feature pixels as whole intensities, 0 outside the image.
    @inline(__always)
    private func extractFeatures(level: Int, a: Float, b: Float, shape: UnsafePointer<Float>, image: Image,
                                 pixels: UnsafePointer<UInt8>, geometry: FaceLandmarker.BoxGeometry,
                                 into out: UnsafeMutablePointer<Int32>)
    {
        let width = Double(image.width), height = Double(image.height)
        let channels = image.channels, rowBytes = image.width * image.channels
        let count = poolSizes[level]
        anchorOffsets[level].withUnsafeBufferPointer { anchors in
        deltaX[level].withUnsafeBufferPointer { dx in
        deltaY[level].withUnsafeBufferPointer { dy in
            /// The pixel's byte offset, or nil outside the image.
            @inline(__always) func offset(_ i: Int) -> Int? {
                let anchor = shape + Int(anchors[i])
                let sx = (a * dx[i] - b * dy[i]) + anchor[0]
                let sy = (b * dx[i] + a * dy[i]) + anchor[1]
                let x = geometry.pixelX(sx), y = geometry.pixelY(sy)
                guard x >= 0, y >= 0, x < width, y < height else { return nil }
                return Int(y) &* rowBytes &+ Int(x) &* channels
            }
            if channels == 3 {
                for i in 0..<count {
                    var value: Int32 = 0
                    if let at = offset(i) {
                        let p = pixels + at
                        value = Int32((UInt32(p[0]) &+ UInt32(p[1]) &+ UInt32(p[2])) / 3)
                    }
                    out[i] = value
                }
            } else {
                for i in 0..<count {
                    var value: Int32 = 0
                    if let at = offset(i) { value = Int32(pixels[at]) }
                    out[i] = value
                }
            }
        }}}
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
        /// The leaf (0..<leafCount) the tree's splits lead to.
        @inline(__always) func leaf(_ tree: Int) -> Int {
            let block = splitBlocks + tree &* leafCount
            var node = 1
            for _ in 0..<depth {
                let word = block[node]
                let difference = features[Int(word & 0x7ff)] &- features[Int((word >> 11) & 0x7ff)]
                node = 2 &* node &+ (difference > Int32(bitPattern: word >> 22) &- 256 ? 0 : 1)
            }
            return node &- leafCount
        }
        // Phase 1 finds every tree's leaf; phase 2 adds the leaves in tree order. Apart, the leaves' cache misses
        // (the model's 7.7 MB of leaves rarely stay cached between faces) overlap instead of queueing behind
        // the traversals.
        for tree in 0..<trees { leafOffsets[tree] = (tree &* leafCount &+ leaf(tree)) &* stride }
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
