import FaceKit
import Foundation
import Imaging
import SightlineCore

/// Loading the face network and chips for `sightline faces embed` and `sightline-bench embed`.
public enum FaceChips {
    /// Loads the face network from the models directory (`--models DIR`, nil: `ModelDirectory`'s search),
    /// checked against its manifest; a missing file says where it was looked for and how to get it.
    public static func embedder(models: String?, threads: Int = 1, batchSize: Int = 16) throws -> FaceEmbedder {
        let directory = try ModelLocation.resolve(models, needing: [FaceDescriber.FileName.embedder])
        do {
            let network = try directory.network(warn: ModelLocation.warn).network
            return try FaceEmbedder(network: network, threads: threads, batchSize: batchSize)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// Reads a chip: PNG, JPEG, or binary PPM (RGB expected; the embedder rejects other sizes and gray chips).
    public static func load(_ path: String) throws -> Image {
        try loadImage(path, gray: false)
    }

    /// A deterministic pseudo-random chip of the given size (timing does not depend on the pixels).
    public static func synthetic(width: Int, height: Int, seed: UInt32) -> Image {
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

