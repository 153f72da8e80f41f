import SightlineCore

extension FaceLandmarker {
    /// dlib's `shape_predictor::operator()` written plainly from the model, in the kernel's arithmetic: the
    /// reference the packed kernel must equal bit for bit, and the path for models the kernel cannot pack.
    static func referenceShape(_ model: ShapePredictorModel, image: Image, box: FaceBox) -> [Float] {
        let geometry = BoxGeometry(box)
        var shape = model.initialShape
        for level in model.levels {
            let (a, b) = similarity(from: model.initialShape, to: shape)
            var features = [Float](repeating: 0, count: level.anchorIndices.count)
            for (i, (anchor, delta)) in zip(level.anchorIndices, level.deltas).enumerated() {
                // dlib: float 2×2 transform of the delta plus the anchor, then the unnormalising affine map in
                // double, rounded to the nearest pixel; intensity 0 outside the image.
                let sx = (a * delta.x - b * delta.y) + shape[2 * anchor]
                let sy = (b * delta.x + a * delta.y) + shape[2 * anchor + 1]
                let x = geometry.pixelX(sx), y = geometry.pixelY(sy)
                guard x >= 0, y >= 0, x < Double(image.width), y < Double(image.height) else { continue }
                let index = (Int(y) * image.width + Int(x)) * image.channels
                if image.channels == 1 {
                    features[i] = Float(image.pixels[index])
                } else {
                    let sum = Int(image.pixels[index]) + Int(image.pixels[index + 1]) + Int(image.pixels[index + 2])
                    features[i] = Float(sum / 3)
                }
            }
            for tree in level.trees {
                var node = 0
                while node < tree.splits.count {
                    let split = tree.splits[node]
                    node = features[split.index1] - features[split.index2] > split.threshold ? 2 * node + 1
                        : 2 * node + 2
                }
                let leaf = (node - tree.splits.count) * shape.count
                for k in shape.indices { shape[k] += tree.leafValues[leaf + k] }
            }
        }
        return shape
    }

    /// The rotation-and-scale part [[a, −b], [b, a]] of the least-squares similarity transform between two
    /// shapes (Umeyama; for 2-D points it has this closed form), in double, returned as floats like dlib.
    @inline(__always)
    static func similarity(from: UnsafePointer<Float>, to: UnsafePointer<Float>, count: Int) -> (Float, Float) {
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

    static func similarity(from: [Float], to: [Float]) -> (Float, Float) {
        from.withUnsafeBufferPointer { f in
            to.withUnsafeBufferPointer { t in similarity(from: f.baseAddress!, to: t.baseAddress!, count: f.count / 2) }
        }
    }

    /// dlib's `unnormalizing_tform(rect)` followed by the rounding of a `dpoint` to a `point`, in double.
    struct BoxGeometry {
        let left: Double, top: Double, spanX: Double, spanY: Double

        init(_ box: FaceBox) {
            left = Double(box.left)
            top = Double(box.top)
            spanX = Double(box.right - box.left)
            spanY = Double(box.bottom - box.top)
        }

        /// The pixel column (a whole number, possibly outside the image) of normalised x.
        @inline(__always) func pixelX(_ x: Float) -> Double { (left + Double(x) * spanX + 0.5).rounded(.down) }
        @inline(__always) func pixelY(_ y: Float) -> Double { (top + Double(y) * spanY + 0.5).rounded(.down) }
    }
}
