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

    public init(model: ShapePredictorModel) {
        self.model = model
    }

    /// The landmarks of the face in `box` (for the 5-point model: right eye outer and inner corner, left eye
    /// outer and inner corner, bottom of the nose — dlib's order).
    public func landmarks(in image: Image, box: FaceBox) -> [FacePoint] {
        let initial = model.initialShape
        var shape = initial
        let count = model.landmarkCount
        let left = Double(box.left), top = Double(box.top)
        let spanX = Double(box.right - box.left), spanY = Double(box.bottom - box.top)
        var features: [Float] = []
        image.pixels.withUnsafeBufferPointer { pixels in
            for level in model.levels {
                let (a, b) = similarity(from: initial, to: shape, count: count)
                features.removeAll(keepingCapacity: true)
                for (anchor, delta) in zip(level.anchorIndices, level.deltas) {
                    // dlib: float 2×2 transform of the delta plus the anchor, then the unnormalising affine map
                    // in double, rounded to the nearest pixel.
                    let sx = (a * delta.x - b * delta.y) + shape[2 * anchor]
                    let sy = (b * delta.x + a * delta.y) + shape[2 * anchor + 1]
                    let x = Int((left + Double(sx) * spanX + 0.5).rounded(.down))
                    let y = Int((top + Double(sy) * spanY + 0.5).rounded(.down))
                    features.append(intensity(pixels, image, x, y))
                }
                features.withUnsafeBufferPointer { values in
                    for tree in level.trees {
                        var node = 0
                        let splits = tree.splits
                        while node < splits.count {
                            let split = splits[node]
                            node = values[split.index1] - values[split.index2] > split.threshold ? 2 * node + 1 : 2 * node + 2
                        }
                        let leaf = (node - splits.count) * shape.count
                        for i in 0..<shape.count { shape[i] += tree.leafValues[leaf + i] }
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
    private func similarity(from: [Float], to: [Float], count: Int) -> (Float, Float) {
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
