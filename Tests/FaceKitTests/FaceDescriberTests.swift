import Foundation
import SightlineCore
import Testing
@testable import FaceKit

/// The whole describer (detect → landmarks → chip → embed) on real photos, against dlib: its boxes, and the
/// descriptor of the chip dlib cut from the same photo (Golden/faces, recorded by Tools/reference/record_faces).
@Suite(.enabled(if: [ModelFiles.detectorName, ModelFiles.shapePredictorName, ModelFiles.faceNetName]
    .allSatisfy(ModelFiles.available), "Models/fetch has not been run"))
struct FaceDescriberTests {
    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test("end-to-end descriptors within 0.02 of those of dlib's own chips")
    func matchesDlibsChips() throws {
        let describer = try FaceDescriber(modelsDirectory: ModelFiles.directory)
        var checked = 0
        for fixture in try FaceFixtures.record().fixtures where fixture.channels == 3 {
            let dlib = fixture.runs[0].detections
            let faces = try describer.describe(try FaceFixtures.image(fixture), upsample: 0)
            #expect(faces.count == dlib.count, "\(fixture.name)")
            for (face, expected) in zip(faces, dlib) {
                #expect([face.box.left, face.box.top, face.box.right, face.box.bottom] == expected.box)
                #expect(face.descriptor.count == 128)
                guard let chipFile = expected.chip else { continue }
                let reference = try describer.embedder.embed(chip: try FaceFixtures.pnm(chipFile))
                let distance = Self.distance(face.descriptor, reference)
                #expect(distance <= 0.02, "\(fixture.name): \(distance) from the descriptor of dlib's chip")
                checked += 1
            }
        }
        #expect(checked >= 3)
    }

    @Test("same person within 0.6, another person beyond; a gray photo is described too")
    func keepsDlibsDecisions() throws {
        let describer = try FaceDescriber(modelsDirectory: ModelFiles.directory)
        let fixtures = Dictionary(uniqueKeysWithValues: try FaceFixtures.record().fixtures.map { ($0.name, $0) })
        func descriptor(_ name: String) throws -> [Float] {
            let faces = try describer.describe(try FaceFixtures.image(try #require(fixtures[name])), upsample: 1)
            try #require(faces.count == 1, "\(name): \(faces.count) faces")
            return faces[0].descriptor
        }
        let obama = try descriptor("obama")
        #expect(Self.distance(obama, try descriptor("obama3")) < 0.6)
        #expect(Self.distance(obama, try descriptor("obama2-gray")) < 0.6)
        #expect(Self.distance(obama, try descriptor("biden")) > 0.6)
        #expect(try describer.descriptors(of: [], in: Image(width: 4, height: 4, channels: 3)).isEmpty)
    }
}
