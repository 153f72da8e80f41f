import Testing
@testable import FaceKit
import SightlineCore

/// How many doublings the detector needs for a face width, and what the redactor derives from its minimum face
/// width and a frame's decode scale (the privacy default: every face of at least 40 source pixels is found).
@Suite(.enabled(if: ModelFiles.available(ModelFiles.detectorName), "Models/fetch has not been run"))
struct DetectorUpsampleTests {
    static func detector() throws -> FaceDetector {
        FaceDetector(model: try FHOGDetectorModel(contentsOfFile: ModelFiles.path(ModelFiles.detectorName)))
    }

    static func frame(width: Int, sourceWidth: Int) -> Frame {
        Frame(camera: "c", seq: 0, monotonicNanos: 0, wallNanos: 0, pts: 0,
              gray: Image(width: width, height: 8, channels: 1), rgb: nil, sourceWidth: sourceWidth, sourceHeight: 8)
    }

    @Test("the frontal face detector's smallest box is 73 px (as dlib reports at upsample 0); doublings halve it")
    func doublingsPerWidth() throws {
        let detector = try Self.detector()
        #expect(detector.smallestFaceWidth == 73, "\(detector.smallestFaceWidth)")
        let smallest = Double(detector.smallestFaceWidth)
        #expect(detector.upsample(forFacesOfWidth: smallest) == 0)
        #expect(detector.upsample(forFacesOfWidth: 200) == 0)
        #expect(detector.upsample(forFacesOfWidth: smallest - 1) == 1)
        #expect(detector.upsample(forFacesOfWidth: smallest / 2) == 1)
        #expect(detector.upsample(forFacesOfWidth: smallest / 2 - 1) == 2)
        #expect(detector.upsample(forFacesOfWidth: smallest / 4) == 2)
        #expect(detector.upsample(forFacesOfWidth: smallest / 8) == 2, "capped at the limit")
        #expect(detector.upsample(forFacesOfWidth: smallest / 8, limit: 3) == 3)
        #expect(detector.upsample(forFacesOfWidth: 0) == 2, "0 asks for every face the limit allows")
    }

    @Test("the redactor's default finds faces from 40 source pixels, in full-size and in reduced frames")
    func redactorDefault() throws {
        let detector = try Self.detector()
        let settings = TrackedFaceRedactor.Settings()
        #expect(settings.upsample == nil && settings.minFaceWidth == 40)
        // Full size: 40 px faces need one doubling; at 1/2 decode scale they are 20 px and need two.
        #expect(settings.upsample(for: Self.frame(width: 640, sourceWidth: 640), detector: detector) == 1)
        #expect(settings.upsample(for: Self.frame(width: 640, sourceWidth: 1280), detector: detector) == 2)
        #expect(TrackedFaceRedactor.Settings(minFaceWidth: 80)
            .upsample(for: Self.frame(width: 640, sourceWidth: 640), detector: detector) == 0)
        #expect(TrackedFaceRedactor.Settings(upsample: 0)
            .upsample(for: Self.frame(width: 640, sourceWidth: 1280), detector: detector) == 0, "explicit wins")
    }
}
