import Testing
@testable import FaceKit

/// The reader on `shape_predictor_5_face_landmarks.dat`. Expected sizes come from the program that
/// trained it (dlib tools/archive/train_face_5point_model.cpp: cascade depth 15, feature pool 800,
/// trainer defaults of 500 trees per level and tree depth 4).
@Suite(.enabled(if: ModelFiles.available(ModelFiles.shapePredictorName), "run Models/fetch to get the model files"))
struct ShapePredictorModelTests {
    static let bytes: [UInt8] = (try? ModelFiles.bytes(ModelFiles.shapePredictorName)) ?? []

    @Test func structureMatchesTheTrainingSetup() throws {
        let model = try ShapePredictorModel(bytes: Self.bytes)
        #expect(model.landmarkCount == 5)
        #expect(model.levels.count == 15)
        for level in model.levels {
            #expect(level.trees.count == 500)
            #expect(level.anchorIndices.count == 800)
            #expect(level.deltas.count == 800)
            #expect(level.trees.allSatisfy { $0.splits.count == 15 && $0.leafValues.count == 16 * 10 })
        }
    }

    @Test func meanShapeLiesInTheFaceBox() throws {
        let model = try ShapePredictorModel(bytes: Self.bytes)
        // dlib normalises shapes to the detection box: the mean landmarks fall inside the unit square.
        #expect(model.initialShape.allSatisfy { $0 > 0 && $0 < 1 })
        // Points 0–1 and 2–3 are the two eyes' corners (one eye each side), 4 the base of the nose, lowest.
        let ys = stride(from: 1, to: 10, by: 2).map { model.initialShape[$0] }
        #expect(ys[4] == ys.max())
    }

    @Test(arguments: [1, 3, 50, 4_000_000, 9_150_488])
    func truncatedFileIsReported(length: Int) {
        let error = #expect(throws: ModelLoadError.self) {
            try ShapePredictorModel(bytes: Array(Self.bytes.prefix(length)))
        }
        #expect(error?.reason == .truncated)
        #expect((error?.offset ?? .max) <= length)
    }

    @Test func unknownVersionIsReported() {
        var bytes = Self.bytes
        bytes[1] = 2
        let error = #expect(throws: ModelLoadError.self) { try ShapePredictorModel(bytes: bytes) }
        #expect(error?.reason == .unsupportedVersion)
        #expect(error?.offset == 0)
    }
}
