import Foundation
import Testing
@testable import FaceKit
import SightlineCore

/// Landmarks and face chips against dlib's (Golden/faces, Golden/scene.json).
@Suite(.enabled(if: ModelFiles.available(ModelFiles.shapePredictorName), "Models/fetch has not been run"))
struct FaceLandmarkerParityTests {
    static let landmarker: FaceLandmarker? = try? FaceLandmarker(
        model: ShapePredictorModel(contentsOfFile: ModelFiles.path(ModelFiles.shapePredictorName)))

    @Test("5 landmarks within 1 pixel of dlib's on dlib's boxes")
    func landmarks() throws {
        let landmarker = try #require(Self.landmarker)
        var checked = 0
        for fixture in try FaceFixtures.record().fixtures {
            let image = try FaceFixtures.image(fixture)
            for detection in fixture.runs[0].detections {
                let expected = try #require(detection.landmarks)
                let box = FaceBox(left: detection.box[0], top: detection.box[1], right: detection.box[2],
                                  bottom: detection.box[3])
                let points = landmarker.landmarks(in: image, box: box)
                #expect(points.count == expected.count)
                for (ours, theirs) in zip(points, expected) {
                    #expect(abs(ours.x - theirs[0]) <= 1 && abs(ours.y - theirs[1]) <= 1,
                            "\(fixture.name) \(box): \(ours) vs dlib \(theirs)")
                }
                checked += 1
            }
        }
        #expect(checked >= 7)
    }

    @Test("synthetic scene: the landmarks dlib places for a fixed box")
    func scene() throws {
        let landmarker = try #require(Self.landmarker)
        let scene = try GoldenData.pnm("scene.pgm")
        let image = Image(width: scene.width, height: scene.height, channels: 1, pixels: scene.bytes)
        let points = landmarker.landmarks(in: image, box: FaceBox(left: 60, top: 44, right: 132, bottom: 116))
        let expected = [[115, 73], [103, 73], [78, 73], [89, 73], [96, 91]]
        #expect(points.map { [$0.x, $0.y] } == expected)
    }

    @Test("150×150 chips within a mean absolute difference of 1 grey level of dlib's")
    func chips() throws {
        var checked = 0
        for fixture in try FaceFixtures.record().fixtures {
            let image = try FaceFixtures.image(fixture)
            for detection in fixture.runs[0].detections {
                guard let chipFile = detection.chip, let landmarks = detection.landmarks else { continue }
                let expected = try FaceFixtures.pnm(chipFile)
                let details = FaceChipDetails(landmarks: landmarks.map { FacePoint(x: $0[0], y: $0[1]) })
                let chip = FaceChipExtractor.extract(image, details: details)
                #expect(chip.width == 150 && chip.height == 150 && chip.channels == 3)
                let total = zip(chip.pixels, expected.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
                let mean = Double(total) / Double(expected.pixels.count)
                #expect(mean <= 1.0, "\(chipFile): mean absolute difference \(mean)")
                checked += 1
            }
        }
        #expect(checked >= 3)
    }
}
