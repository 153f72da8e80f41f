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
            throw FaceToolError("model file \(path) not found: run Models/fetch in the Sightline source tree "
                                  + "(it downloads and checks dlib's models), or pass --model PATH")
        }
        do {
            return try FaceEmbedder(contentsOfFile: path, threads: threads, batchSize: batchSize)
        } catch {
            throw FaceToolError("\(path): \(error)")
        }
    }

    /// Reads a PNG or JPEG chip (RGB expected; the embedder rejects other sizes and gray chips).
    static func load(_ path: String) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else { throw FaceToolError("cannot read \(path)") }
        let bytes = [UInt8](data)
        do {
            if PNGDecoder.isPNG(bytes) { return try PNGDecoder.decode(bytes) }
            if bytes.starts(with: [0xFF, 0xD8]) { return try JPEGDecoder().decode(bytes).image }
        } catch {
            throw FaceToolError("\(path): \(error)")
        }
        throw FaceToolError("\(path): not a PNG or JPEG file")
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

/// A failure of a face tool at run time (a missing model, an unreadable chip), printed without the usage text.
struct FaceToolError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
