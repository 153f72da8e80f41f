import Foundation
import Imaging
@testable import SightlineConfig
import SightlineCore
import Testing
@testable import SightlineRuntime

/// The daemon's face stage on a real photo (the FaceKit fixture), with the model from Models/fetch.
enum FaceStagePaths {
    static let top = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let models = top.appendingPathComponent("Models/files").path
    static var available: Bool { FileManager.default.fileExists(atPath: models + "/frontal_face_detector.svm") }
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

    @Test func missingModelIsAClearError() {
        var camera = CameraConfiguration(id: "a", source: .y4m(path: "-"))
        camera.faces = FaceConfiguration(models: "/nonexistent")
        #expect(throws: FaceStageError.self) { try FaceStageFactory.make(for: camera) }
    }
}
