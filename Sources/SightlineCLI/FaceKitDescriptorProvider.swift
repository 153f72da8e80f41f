import FaceKit
import Foundation
import Matcher

/// Descriptors from photos through FaceKit (detect → 5 landmarks → 150×150 chip, padding 0.25 → embed),
/// fingerprinted by the SHA-256 of the embedding model file so that the gallery refuses templates of another
/// model. Images are read with `loadImage` (JPEG, PNG, binary PGM/PPM).
struct FaceKitDescriptorProvider: FaceDescriptorProvider {
    let describer: FaceDescriber
    let modelSHA256: String
    /// Times each photo is doubled before detection (1, face_recognition's default, finds faces from ~40 px).
    let upsample: Int

    /// Loads dlib's three models from `models`; a missing file says how to get it.
    init(models: String, upsample: Int) throws {
        for name in [FaceDescriber.FileName.detector, FaceDescriber.FileName.landmarks,
                     FaceDescriber.FileName.embedder]
        where !FileManager.default.fileExists(atPath: models + "/" + name) {
            throw CLIError("model file \(models)/\(name) not found: run Models/fetch in the Sightline source tree, "
                + "or pass --models DIR")
        }
        do {
            describer = try FaceDescriber(modelsDirectory: models)
            modelSHA256 = try ModelFingerprint.sha256(ofFile: models + "/" + FaceDescriber.FileName.embedder)
        } catch {
            throw CLIError("\(models): \(error)")
        }
        self.upsample = upsample
    }

    func faces(inImageAt path: String) throws -> [FaceDescriptor] {
        let image = try loadImage(path, gray: false)
        let faces: [FaceDescriber.Face]
        do {
            faces = try describer.describe(image, upsample: upsample)
        } catch {
            throw CLIError("\(path): \(error)")
        }
        return faces.map { face in
            FaceDescriptor(box: [face.box.left, face.box.top, face.box.right, face.box.bottom],
                           descriptor: face.descriptor)
        }
    }
}
