import Foundation
import Imaging
import Testing
@testable import FaceKit
import SightlineCore
import SightlineTestKit

/// The privacy blur and the tracker that keeps faces blurred through detector misses.
struct FacePrivacyBlurTests {
    /// Mean squared Laplacian inside a box: high-frequency energy.
    static func highFrequencyEnergy(_ image: Image, _ box: FaceBox) -> Double {
        PhotoFootage.highFrequencyEnergy(image, left: box.left, top: box.top, right: box.right, bottom: box.bottom)
    }

    @Test("a real face's high-frequency energy drops below 5% and the detector no longer finds it",
          .enabled(if: ModelFiles.available(ModelFiles.detectorName)))
    func blurRemovesDetail() throws {
        let detector = FaceDetector(model: try FHOGDetectorModel(contentsOfFile: ModelFiles.path(ModelFiles.detectorName)))
        let fixture = try #require(try FaceFixtures.record().fixtures.first { $0.name == "obama3" })
        var image = try FaceFixtures.image(fixture)
        let faces = detector.detect(image)
        let face = try #require(faces.first)
        let before = Self.highFrequencyEnergy(image, face.box)
        FaceBlurStyle().apply(to: &image, boxes: [face.box])
        let after = Self.highFrequencyEnergy(image, face.box)
        #expect(after < 0.05 * before, "energy \(before) → \(after)")
        #expect(detector.detect(image).isEmpty)
    }

    @Test("pixels outside the ellipse are untouched")
    func onlyInsideEllipse() {
        var image = Image(width: 64, height: 64, channels: 1,
                          pixels: (0..<4096).map { UInt8(truncatingIfNeeded: ($0 * 37) ^ ($0 >> 3)) })
        let original = image
        EllipseBlur.apply(to: &image, centerX: 32, centerY: 32, radiusX: 10, radiusY: 14)
        #expect(image[0, 0] == original[0, 0])
        #expect(image[32, 10] == original[32, 10])  // outside: dy = 22/14 > 1
        #expect(image[32, 32] != original[32, 32] || image[33, 32] != original[33, 32])
    }

    @Test("a face missed in one frame is still blurred there, and at its predicted place")
    func trackerBridgesMiss() {
        var tracker = FaceTracker(keepFrames: 5)
        var boxes: [FaceBox] = []
        for frame in 0..<4 {  // moving right 4 px per frame
            let box = FaceBox(left: 100 + 4 * frame, top: 50, right: 179 + 4 * frame, bottom: 129)
            boxes = tracker.update(frame: UInt64(frame), detections: [box])
        }
        boxes = tracker.update(frame: 4, detections: [])  // the detector misses the face
        let truth = FaceBox(left: 116, top: 50, right: 195, bottom: 129)
        #expect(boxes.count == 1)
        #expect(boxes.first.map { $0.intersectionOverUnion(truth) > 0.8 } == true, "\(boxes)")
        #expect(boxes.first.map { $0.intersection(truth) == truth } == true, "the kept box covers the face")
        for frame in 5...10 { boxes = tracker.update(frame: UInt64(frame), detections: []) }
        #expect(boxes.isEmpty, "dropped after keepFrames without detection")
    }

    @Test("redactor blurs a frame whose detection is missing, from the track",
          .enabled(if: ModelFiles.available(ModelFiles.detectorName)))
    func redactorUsesTrack() throws {
        let detector = FaceDetector(model: try FHOGDetectorModel(contentsOfFile: ModelFiles.path(ModelFiles.detectorName)))
        let fixture = try #require(try FaceFixtures.record().fixtures.first { $0.name == "obama3" })
        let rgb = try FaceFixtures.image(fixture)
        // The face as the redactor's default sees it: at the upsampling it derives for 40 px faces.
        let upsample = detector.upsample(forFacesOfWidth: Double(TrackedFaceRedactor.Settings.defaultMinFaceWidth))
        let face = try #require(detector.detect(rgb, upsample: upsample).first)
        let redactor = TrackedFaceRedactor(detector: detector, settings: .init(every: 2, keepFrames: 4))
        func frame(_ seq: UInt64, _ picture: Image) -> Frame {
            Frame(camera: "test", seq: seq, monotonicNanos: seq, wallNanos: 0, pts: 0,
                  gray: ColorConversion.luma(of: picture), rgb: picture, sourceWidth: picture.width,
                  sourceHeight: picture.height)
        }
        _ = redactor.observe(frame(0, rgb))  // detector runs, finds the face
        let seen = redactor.observe(frame(1, rgb))  // detector skipped: tracked box only
        #expect(seen.detections == nil)
        #expect(seen.blurBoxes.contains { $0.intersectionOverUnion(face.box) > 0.9 })
        let evidence = try redactor.redact(frame(1, rgb))
        #expect(Self.highFrequencyEnergy(evidence, face.box) < 0.05 * Self.highFrequencyEnergy(rgb, face.box))
    }
}
