import Foundation
import Imaging
import SightlineCore
import SightlineTestKit
import Testing
@testable import FaceKit

/// `FootageBlur` (what `sightline faces blur-video` runs) on footage made from a real photo: the face moves 6 px
/// per frame, and in frame 3 a grey bar over the eyes hides it from the detector, so only the tracker can keep
/// it blurred there.
@Suite(.enabled(if: ModelFiles.available(ModelFiles.detectorName)))
struct FootageBlurTests {
    /// obama3 (393×640, face near x 181–253, y 85–157) seen through a 280×220 window panning left.
    static let origins = (0..<6).map { (x: 80 - 6 * $0, y: 20) }
    static let occluder = PhotoFootage.Occluder(frame: 3, left: 176, top: 98, width: 82, height: 26)

    static func detector() throws -> FaceDetector {
        FaceDetector(model: try FHOGDetectorModel(contentsOfFile: ModelFiles.path(ModelFiles.detectorName)))
    }

    static func photo() throws -> Image {
        try FaceFixtures.image(try #require(try FaceFixtures.record().fixtures.first { $0.name == "obama3" }))
    }

    static func energy(_ image: Image, _ box: FaceBox) -> Double {
        PhotoFootage.highFrequencyEnergy(image, left: box.left, top: box.top, right: box.right, bottom: box.bottom)
    }

    @Test("every frame comes out decodable with its face blurred, the detector's miss bridged by the tracker")
    func blursThroughMiss() throws {
        let detector = try Self.detector()
        let photo = try Self.photo()
        let clean = PhotoFootage.frames(of: photo, width: 280, height: 220, origins: Self.origins)
        let jpegs = try PhotoFootage.jpegs(PhotoFootage.frames(of: photo, width: 280, height: 220,
                                                               origins: Self.origins, occluders: [Self.occluder]))
        let inputs = try jpegs.map { try JPEGDecoder().decode($0, scale: 1, gray: false).image }
        // Where the face is in each frame: the detector on the frames without the occluder, at the upsampling the
        // redactor's default uses for them (its boxes are what the blur covers; other levels box a face
        // differently).
        let upsample = detector.upsample(forFacesOfWidth: Double(TrackedFaceRedactor.Settings.defaultMinFaceWidth))
        let truth = try clean.map { try #require(detector.detect($0, upsample: upsample).first).box }
        for (index, input) in inputs.enumerated() {
            #expect(detector.detect(input).isEmpty == (index == 3), "frame \(index): only frame 3 hides the face")
        }

        let blur = FootageBlur(redactor: TrackedFaceRedactor(detector: detector, settings: .init(keepFrames: 10)))
        var written: [[UInt8]] = []
        let summary = try blur.run(ReplaySource(payloads: jpegs.map { .jpeg($0) })) { written.append($0) }

        #expect(summary.frames == 6)
        #expect(written.count == 6)
        #expect(summary.detectedFaces == 5)
        #expect(summary.blurredBoxes >= 6)
        #expect(summary.trackedOnlyBoxes >= 1, "frame 3's box came from the tracker")
        for (index, jpeg) in written.enumerated() {
            let output = try JPEGDecoder().decode(jpeg, scale: 1, gray: false).image
            #expect(output.width == 280 && output.height == 220 && output.channels == 3)
            let before = Self.energy(inputs[index], truth[index]), after = Self.energy(output, truth[index])
            #expect(after < 0.05 * before, "frame \(index): energy \(before) → \(after)")
            #expect(detector.detect(output, upsample: 1).isEmpty, "frame \(index): a face is still detectable")
        }
    }

    @Test("a source without frames is an error, not an empty success")
    func emptySource() throws {
        let blur = FootageBlur(redactor: TrackedFaceRedactor(detector: try Self.detector()))
        var written = 0
        #expect(throws: FootageBlurError.noFrames(source: "replay", stats: SourceStats())) {
            _ = try blur.run(ReplaySource(payloads: [])) { _ in written += 1 }
        }
        #expect(written == 0)
    }

    @Test("an undecodable frame stops the run at that frame, naming it")
    func corruptFrame() throws {
        let blur = FootageBlur(redactor: TrackedFaceRedactor(detector: try Self.detector()))
        let good = SyntheticFootage.jpegFrames(count: 3, width: 96, height: 64)
        let payloads: [CapturedFrame.Payload] = [.jpeg(good[0]), .jpeg(good[1]),
                                                 .jpeg(CorruptJPEGs.garbledFrameHeader(good[2])), .jpeg(good[2])]
        var written = 0
        let error = #expect(throws: FootageBlurError.self) {
            _ = try blur.run(ReplaySource(payloads: payloads)) { _ in written += 1 }
        }
        guard case .undecodableFrame(let source, let index, let reason)? = error else {
            Issue.record("expected undecodableFrame, got \(String(describing: error))")
            return
        }
        #expect(source == "replay" && index == 2 && !reason.isEmpty)
        #expect(written == 2, "the frames before the bad one were written, nothing after")
        #expect(error?.description.contains("frame 2") == true)
    }
}
