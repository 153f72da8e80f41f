import Foundation
import Imaging
@testable import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
import Testing

/// The daemon's face stage on a real photo (the FaceKit fixture), with the model from Models/fetch.
enum FaceStagePaths {
    static let top = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let models = top.appendingPathComponent("Models/files").path
    static var available: Bool {
        RequiredFixtures.models(FileManager.default.fileExists(atPath: models + "/frontal_face_detector.svm"))
    }
}

@Suite(.enabled(if: FaceStagePaths.available, "Models/fetch has not been run"))
struct FaceStageTests {
    static let top = FaceStagePaths.top
    static let models = FaceStagePaths.models

    static func frame(seq: UInt64, scale: Int) throws -> Frame {
        let path = top.appendingPathComponent("Tests/FaceKitTests/Golden/faces/obama3.jpg").path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let decoded = try JPEGDecoder().decode(bytes, scale: scale, gray: true)
        return Frame(camera: "door", seq: seq, monotonicNanos: seq, wallNanos: 0, pts: 0, gray: decoded.image,
                     rgb: nil, sourceWidth: decoded.sourceWidth, sourceHeight: decoded.sourceHeight)
    }

    @Test func reportsFacesInSourcePixelsAndBlursEvidence() throws {
        var camera = CameraConfiguration(id: "door", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(models: Self.models)
        let built = try FaceStageFactory.make(for: camera)
        let stage = try #require(built.stages.first as? FaceStage)
        let frame = try Self.frame(seq: 1, scale: 1)
        let detections = try stage.process(frame)
        #expect(detections.count == 1)
        #expect(detections.first?.type == .faceDetected)
        #expect(detections.first?.body["count"] == .int(1))
        let redactor = try #require(built.redactor)
        let evidence = try redactor.redact(frame)
        #expect(evidence.pixels != frame.gray.pixels)
    }

    @Test func noStageWithoutSectionOrWhenDetectIsOff() throws {
        #expect(try FaceStageFactory.make(for: CameraConfiguration(id: "a", source: .y4m(path: "-"))).stages.isEmpty)
        var camera = CameraConfiguration(id: "a", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(detect: false, blurEvidence: false, models: Self.models)
        #expect(try FaceStageFactory.make(for: camera).stages.isEmpty)
    }

    @Test func smallFacesAreFoundByDefault() throws {
        var camera = CameraConfiguration(id: "door", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(models: Self.models)
        let stage = try #require(try FaceStageFactory.make(for: camera).stages.first as? FaceStage)
        let settings = stage.redactor.settings
        #expect(settings.upsample == nil && settings.minFaceWidth == 40, "derived from min_size")
        // Decoded at full size a 40 px face needs one doubling; decoded at half size it is 20 px and needs two.
        #expect(settings.upsample(for: try Self.frame(seq: 1, scale: 1), detector: stage.redactor.detector) == 1)
        #expect(settings.upsample(for: try Self.frame(seq: 1, scale: 2), detector: stage.redactor.detector) == 2)
        camera.faces = FaceConfiguration(upsample: 0, models: Self.models)
        let fixed = try #require(try FaceStageFactory.make(for: camera).stages.first as? FaceStage)
        #expect(fixed.redactor.settings.upsample(for: try Self.frame(seq: 1, scale: 2),
                                                 detector: fixed.redactor.detector) == 0)
    }

    @Test func corruptedModelIsRefusedWithItsDigests() throws {
        let directory = NSTemporaryDirectory() + "face-stage-models-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.models + "/frontal_face_detector.svm")))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/frontal_face_detector.svm"))
        var camera = CameraConfiguration(id: "a", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(models: directory)
        let error = #expect(throws: FaceStageError.self) { try FaceStageFactory.make(for: camera) }
        let text = error?.message ?? ""
        #expect(text.contains(directory + "/frontal_face_detector.svm") && text.contains("SHA-256")
                && text.contains("f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426"), "\(text)")
    }

    @Test func missingModelIsAClearError() {
        var camera = CameraConfiguration(id: "a", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(models: "/nonexistent")
        #expect(throws: FaceStageError.self) { try FaceStageFactory.make(for: camera) }
    }
}
