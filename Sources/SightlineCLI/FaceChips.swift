import ArgumentParser
import FaceKit
import Foundation
import Imaging
import SightlineCore

/// Loading the face network and chips for `sightline faces embed` and `sightline bench embed`.
enum FaceChips {
    /// Where `Models/fetch` puts the face network, relative to the source tree.
    static let defaultModel = "Models/files/dlib_face_recognition_resnet_model_v1.dat"

    /// Loads the embedder; a missing file says how to get it.
    static func embedder(model: String?, threads: Int = 1, batchSize: Int = 16) throws -> FaceEmbedder {
        let path = model ?? defaultModel
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("model file \(path) not found: run Models/fetch in the Sightline source tree "
                                  + "(it downloads and checks dlib's models), or pass --model PATH")
        }
        do {
            return try FaceEmbedder(contentsOfFile: path, threads: threads, batchSize: batchSize)
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }

    /// Reads a chip: PNG, JPEG, or binary PPM (RGB expected; the embedder rejects other sizes and gray chips).
    static func load(_ path: String) throws -> Image {
        try loadImage(path, gray: false)
    }

    /// A deterministic pseudo-random chip of the given size (timing does not depend on the pixels).
    static func synthetic(width: Int, height: Int, seed: UInt32) -> Image {
        var state = seed &* 2_654_435_761 | 1
        let pixels = (0..<width * height * 3).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}

