import SightlineCore
import Testing
@testable import FaceKit

/// The packed landmark kernel (`PackedShapePredictor`) against the plain reference (`referenceShape`): bit for bit,
/// on the real model and on seeded random models that exercise the threshold packing and the generic paths.
@Suite struct FaceLandmarkerKernelTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next()) % range.count }
        mutating func unit() -> Float { Float(next() % 1_000_000) / 1_000_000 }
    }

    static func noise(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var random = Random(state: seed)
        var image = Image(width: width, height: height, channels: channels)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: random.next()) }
        return image
    }

    /// Boxes of many sizes, some reaching past the image's edges (feature pixels outside read 0).
    static func boxes(width: Int, height: Int, count: Int, seed: UInt64) -> [FaceBox] {
        var random = Random(state: seed)
        return (0..<count).map { _ in
            let size = random.int(8...max(9, min(width, height)))
            let left = random.int(-size / 2...width - size / 2), top = random.int(-size / 2...height - size / 2)
            let bottom = top + random.int(size / 2...size * 3 / 2)
            return FaceBox(left: left, top: top, right: left + size - 1, bottom: bottom)
        }
    }

    /// A model with random splits (thresholds integral, fractional, out of range, NaN) and leaves.
    static func randomModel(landmarks: Int, levels: Int, trees: Int, depth: Int, pool: Int, seed: UInt64)
        -> ShapePredictorModel
    {
        var random = Random(state: seed)
        let initial = (0..<2 * landmarks).map { _ in 0.2 + 0.6 * random.unit() }
        let specials: [Float] = [0, 0.5, -0.5, 3, -3, 254.5, 255, -255, -255.5, 300, -300, .nan, .infinity]
        return ShapePredictorModel(initialShape: initial, levels: (0..<levels).map { _ in
            let trees = (0..<trees).map { _ in
                let splits = (0..<(1 << depth) - 1).map { _ in
                    let threshold = random.int(0...3) == 0 ? specials[random.int(0...specials.count - 1)]
                        : Float(random.int(-1200...1200)) / 8
                    return ShapePredictorModel.Split(index1: random.int(0...pool - 1), index2: random.int(0...pool - 1),
                                                     threshold: threshold)
                }
                let leaves = (0..<(1 << depth) * 2 * landmarks).map { _ in (random.unit() - 0.5) * 0.02 }
                return ShapePredictorModel.RegressionTree(splits: splits, leafValues: leaves)
            }
            return ShapePredictorModel.Level(trees: trees,
                                             anchorIndices: (0..<pool).map { _ in random.int(0...landmarks - 1) },
                                             deltas: (0..<pool).map { _ in
                                                 SIMD2((random.unit() - 0.5) * 0.6, (random.unit() - 0.5) * 0.6)
                                             })
        })
    }

    func expectKernelEqualsReference(_ landmarker: FaceLandmarker, image: Image, boxes: [FaceBox], label: String) {
        let values = landmarker.model.initialShape.count
        for box in boxes {
            let fast = landmarker.shape(in: image, box: box)
            let reference = FaceLandmarker.referenceShape(landmarker.model, image: image, box: box)
            #expect(fast.count == values)
            #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "\(label) \(box)")
        }
    }

    @Test("a packed threshold decides every intensity difference as the float threshold does")
    func thresholdPacking() {
        let thresholds: [Float] = [0, 0.25, -0.25, 1, -1, 17.5, -17.5, 254.9, 255, 255.1, -255, -255.1, -256, 1e9,
                                   -1e9, .infinity, -.infinity, .nan, .ulpOfOne, -.leastNonzeroMagnitude]
        for threshold in thresholds {
            let word = PackedShapePredictor.pack(.init(index1: 2047, index2: 5, threshold: threshold))
            #expect(word & 0x7ff == 2047 && (word >> 11) & 0x7ff == 5)
            let packed = Int32(word >> 22) - 256
            for difference in -255...255 {
                #expect((difference > Int(packed)) == (Float(difference) > threshold), "\(threshold) \(difference)")
            }
        }
    }

    @Test("random models: kernel equals reference", arguments: [(5, 4, 800, 3), (8, 3, 64, 1), (12, 2, 300, 3),
                                                              (1, 1, 2, 1), (68, 5, 2048, 3)])
    func randomModels(landmarks: Int, depth: Int, pool: Int, channels: Int) throws {
        let model = Self.randomModel(landmarks: landmarks, levels: 3, trees: 40, depth: depth, pool: pool,
                                     seed: UInt64(landmarks * 1000 + pool))
        let landmarker = FaceLandmarker(model: model)
        #expect(landmarker.packed != nil)
        let image = Self.noise(width: 97, height: 61, channels: channels, seed: UInt64(pool))
        expectKernelEqualsReference(landmarker, image: image, boxes: Self.boxes(width: 97, height: 61, count: 30,
                                                                                seed: UInt64(depth)), label: "random")
    }

    @Test("models the kernel cannot pack run the reference")
    func unpackable() {
        var model = Self.randomModel(landmarks: 5, levels: 2, trees: 10, depth: 3, pool: 2049, seed: 3)
        #expect(FaceLandmarker(model: model).packed == nil)
        model = Self.randomModel(landmarks: 5, levels: 2, trees: 10, depth: 3, pool: 100, seed: 4)
        let shallow = Self.randomModel(landmarks: 5, levels: 1, trees: 10, depth: 2, pool: 100, seed: 5)
        let mixed = ShapePredictorModel(initialShape: model.initialShape, levels: model.levels + shallow.levels)
        let landmarker = FaceLandmarker(model: mixed)
        #expect(landmarker.packed == nil)
        let image = Self.noise(width: 50, height: 40, channels: 1, seed: 9)
        let box = FaceBox(left: 5, top: 4, right: 40, bottom: 36)
        let shape = FaceLandmarker.referenceShape(mixed, image: image, box: box)
        let geometry = FaceLandmarker.BoxGeometry(box)
        #expect(landmarker.landmarks(in: image, box: box).map { [$0.x, $0.y] }
            == (0..<5).map { [Int(geometry.pixelX(shape[2 * $0])), Int(geometry.pixelY(shape[2 * $0 + 1]))] })
    }

    @Test("the 5-point model on real photos and random boxes: kernel equals reference",
          .enabled(if: ModelFiles.available(ModelFiles.shapePredictorName), "Models/fetch has not been run"))
    func realModel() throws {
        let landmarker = try FaceLandmarker(model: ShapePredictorModel(
            contentsOfFile: ModelFiles.path(ModelFiles.shapePredictorName)))
        #expect(landmarker.packed != nil)
        for fixture in try FaceFixtures.record().fixtures {
            let image = try FaceFixtures.image(fixture)
            let boxes = fixture.runs[0].detections.map {
                FaceBox(left: $0.box[0], top: $0.box[1], right: $0.box[2], bottom: $0.box[3])
            }
            expectKernelEqualsReference(landmarker, image: image, boxes: boxes + Self.boxes(
                width: image.width, height: image.height, count: 6, seed: UInt64(image.width)), label: fixture.name)
        }
    }
}
