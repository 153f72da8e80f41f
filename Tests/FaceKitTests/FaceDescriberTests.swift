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

    /// The privacy blur must defeat recognition, not only the eye: a blurred face's descriptor — even from a
    /// chip aligned on the landmarks of the unblurred face, the strongest position an attacker could hope
    /// for — must lie beyond dlib's same-person distance (0.6) from the original's.
    @Test("a blurred face's descriptor is farther than 0.6 from the original's")
    func blurDefeatsRecognition() throws {
        let describer = try FaceDescriber(modelsDirectory: ModelFiles.directory)
        let fixtures = Dictionary(uniqueKeysWithValues: try FaceFixtures.record().fixtures.map { ($0.name, $0) })
        for name in ["obama", "obama3", "biden"] {
            let image = try FaceFixtures.image(try #require(fixtures[name]))
            let faces = try describer.describe(image, upsample: 1)
            try #require(faces.count == 1, "\(name): \(faces.count) faces")
            var blurred = image
            FaceBlurStyle().apply(to: &blurred, boxes: [faces[0].box])
            let aligned = try describer.embedder.embed(
                chip: FaceDescriber.chip(of: blurred, landmarks: faces[0].landmarks))
            let alignedDistance = Self.distance(aligned, faces[0].descriptor)
            #expect(alignedDistance > 0.6, "\(name): blurred chip at the original landmarks is \(alignedDistance) away")
            let redetected = try describer.descriptors(of: [faces[0].box], in: blurred)
            let redetectedDistance = Self.distance(try #require(redetected.first), faces[0].descriptor)
            #expect(redetectedDistance > 0.6, "\(name): blurred face re-aligned is \(redetectedDistance) away")
        }
    }
}
