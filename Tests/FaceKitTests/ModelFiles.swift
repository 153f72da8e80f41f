@testable import FaceKit
import Foundation
import SightlineTestKit

/// The dlib model files placed by `Models/fetch` (absent in a checkout that has not fetched them:
/// the tests that need them are then disabled, and `make test` fetches them first).
enum ModelFiles {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)  // Tests/FaceKitTests/ModelFiles.swift
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models/files").path
    }()

    static let faceNetName = "dlib_face_recognition_resnet_model_v1.dat"
    static let shapePredictorName = "shape_predictor_5_face_landmarks.dat"
    static let detectorName = "frontal_face_detector.svm"

    static func path(_ name: String) -> String { directory + "/" + name }

    static func available(_ name: String) -> Bool {
        RequiredFixtures.models(FileManager.default.fileExists(atPath: path(name)))
    }

    static func bytes(_ name: String) throws -> [UInt8] { try ModelFile.read(path(name)) }

    /// The face network's bytes, read once.
    static let faceNetBytes: [UInt8] = (try? bytes(faceNetName)) ?? []
}
