import FaceKit
import Foundation
import Matcher
import SightlineTools

/// Descriptors from photos through FaceKit (detect → 5 landmarks → 150×150 chip, padding 0.25 → embed),
/// fingerprinted by the SHA-256 of the embedding model file so that the gallery refuses templates of another
/// model. Images are read with `loadImage` (JPEG, PNG, binary PGM/PPM).
struct FaceKitDescriptorProvider: FaceDescriptorProvider {
    let describer: FaceDescriber
    let modelSHA256: String
    /// Times each photo is doubled before detection (1, face_recognition's default, finds faces from ~40 px).
    let upsample: Int

    /// Loads dlib's three models from `models` (nil: `ModelDirectory`'s search), each checked against its
    /// manifest; a missing file says where it was looked for and how to get it.
    init(models: String?, upsample: Int) throws {
        let directory = try ModelLocation.resolve(models, needing: [
            FaceDescriber.FileName.detector, FaceDescriber.FileName.landmarks, FaceDescriber.FileName.embedder,
        ])
        do {
            let detector = FaceDetector(model: try directory.detector(warn: ModelLocation.warn))
            let landmarker = FaceLandmarker(model: try directory.landmarks(warn: ModelLocation.warn))
            let (network, sha256) = try directory.network(warn: ModelLocation.warn)
            let embedder: FaceEmbedder
            do { embedder = try FaceEmbedder(network: network) } catch {
                throw ModelFileError.malformed(path: directory.file(FaceDescriber.FileName.embedder), error)
            }
            describer = FaceDescriber(detector: detector, landmarker: landmarker, embedder: embedder)
            modelSHA256 = sha256
        } catch {
            throw CLIError("\(error)")
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
