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
/// A value type; the model is repacked once in `init` (`PackedShapePredictor`); `landmarks` uses only small
/// scratch buffers of its own (feature pixels, leaf offsets) and is safe to call concurrently.
public struct FaceLandmarker: Sendable {
    public let model: ShapePredictorModel
    /// The kernel's packing of `model`, nil for models it cannot pack (those run the reference).
    let packed: PackedShapePredictor?

    public init(model: ShapePredictorModel) {
        self.model = model
        packed = PackedShapePredictor(model)
    }

    /// The landmarks of the face in `box` (for the 5-point model: right eye outer and inner corner, left eye
    /// outer and inner corner, bottom of the nose — dlib's order).
    public func landmarks(in image: Image, box: FaceBox) -> [FacePoint] {
        let geometry = BoxGeometry(box)
        let count = model.landmarkCount
        guard let packed else {
            return Self.points(Self.referenceShape(model, image: image, box: box), count, geometry)
        }
        return packed.run(image: image, geometry: geometry) { shape in Self.points(shape, count, geometry) }
    }

    /// Normalised shape to pixels, rounded as dlib rounds a `dpoint` to a `point`.
    private static func points<Shape: RandomAccessCollection<Float>>(_ shape: Shape, _ count: Int,
                                                                      _ geometry: BoxGeometry) -> [FacePoint]
        where Shape.Index == Int
    {
        var points: [FacePoint] = []
        points.reserveCapacity(count)
        for part in 0..<count {
            let x = geometry.pixelX(shape[shape.startIndex + 2 * part])
            let y = geometry.pixelY(shape[shape.startIndex + 2 * part + 1])
            points.append(FacePoint(x: Int(x), y: Int(y)))
        }
        return points
    }

    /// The final shape in normalised box coordinates (2 values per landmark), from the kernel.
    func shape(in image: Image, box: FaceBox) -> [Float] {
        guard let packed else { return Self.referenceShape(model, image: image, box: box) }
        return packed.run(image: image, geometry: BoxGeometry(box)) { Array($0.prefix(model.initialShape.count)) }
    }
}
