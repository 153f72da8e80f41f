import Foundation
import Testing
@testable import FaceKit
import SightlineCore

/// The HOG detector against dlib's own boxes and scores (Golden/faces, Golden/scene.json).
@Suite(.enabled(if: ModelFiles.available(ModelFiles.detectorName), "Models/fetch has not been run"))
struct FaceDetectorParityTests {
    static let detector: FaceDetector? = try? FaceDetector(
        model: FHOGDetectorModel(contentsOfFile: ModelFiles.path(ModelFiles.detectorName)))

    static func fixtureRuns() throws -> [(FaceFixtures.Fixture, FaceFixtures.Run)] {
        try FaceFixtures.record().fixtures.flatMap { fixture in fixture.runs.map { (fixture, $0) } }
    }

    @Test("same faces, IoU ≥ 0.95, scores within 0.02", arguments: try fixtureRuns())
    func matchesDlib(fixture: FaceFixtures.Fixture, run: FaceFixtures.Run) throws {
        let detector = try #require(Self.detector)
        let image = try FaceFixtures.image(fixture)
        #expect(image.width == fixture.width && image.height == fixture.height)
        let found = detector.detect(image, upsample: run.upsample)
        #expect(found.count == run.detections.count, "\(fixture.name) upsample \(run.upsample): \(found)")
        for expected in run.detections {
            let box = FaceBox(left: expected.box[0], top: expected.box[1], right: expected.box[2],
                              bottom: expected.box[3])
            let best = found.max { $0.box.intersectionOverUnion(box) < $1.box.intersectionOverUnion(box) }
            let match = try #require(best, "\(fixture.name): dlib's \(box) not found")
            #expect(match.box.intersectionOverUnion(box) >= 0.95, "\(fixture.name): \(match.box) vs dlib \(box)")
            #expect(abs(match.score - expected.score) <= 0.02,
                    "\(fixture.name) \(box): score \(match.score) vs dlib \(expected.score)")
            #expect(match.detector == expected.detector)
        }
    }

    @Test("synthetic scene at adjust_threshold −1.5")
    func scene() throws {
        let detector = try #require(Self.detector)
        let scene = try GoldenData.pnm("scene.pgm")
        let image = Image(width: scene.width, height: scene.height, channels: 1, pixels: scene.bytes)
        struct Scene: Decodable {
            struct Detector: Decodable {
                struct Hit: Decodable { let left, top, right, bottom: Int; let score: Double; let detector: Int }
                let detections: [Hit]
            }
            let detector: Detector
        }
        let golden = try JSONDecoder().decode(
            Scene.self, from: Data(contentsOf: GoldenData.directory.appendingPathComponent("scene.json")))
        let found = detector.detect(image, adjustThreshold: -1.5)
        #expect(found.count == golden.detector.detections.count, "\(found)")
        for (hit, ours) in zip(golden.detector.detections, found) {
            #expect(ours.box == FaceBox(left: hit.left, top: hit.top, right: hit.right, bottom: hit.bottom))
            #expect(abs(ours.score - hit.score) <= 0.02, "score \(ours.score) vs dlib \(hit.score)")
        }
    }
}
