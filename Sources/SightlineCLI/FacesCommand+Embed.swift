import ArgumentParser
import FaceKit
import Foundation
import SightlineCore

extension FacesCommand {
    /// `sightline faces embed --chip CHIP [--chip …] [--json]`.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the 128-d dlib face descriptor of each chip.",
            discussion: """
                A chip is a 150x150 RGB PNG, JPEG or PPM: an aligned face as dlib's get_face_chip(image, shape, \
                size=150, padding=0.25) cuts it. Descriptors equal dlib's compute_face_descriptor within 1e-3 \
                (Euclidean); two faces whose descriptors are closer than 0.6 are the same person by dlib's rule.
                """)

        @Option(name: .customLong("chip"), help: "A 150x150 RGB chip (PNG, JPEG or PPM); repeat for more.")
        var chips: [String] = []

        @Option(help: "The dlib face network (default \(FaceChips.defaultModel)).")
        var model: String?

        @Flag(help: "One JSON object per chip: {\"chip\": PATH, \"descriptor\": [128 numbers]}.")
        var json = false

        func validate() throws {
            guard !chips.isEmpty else { throw ValidationError("give at least one --chip") }
        }

        func run() throws {
            let embedder = try FaceChips.embedder(model: model)
            let images = try chips.map(FaceChips.load)
            let descriptors: [[Float]]
            do {
                descriptors = try embedder.embed(chips: images)
            } catch {
                if case .wrongChipShape(let index, _, _, _, _, _) = error {
                    throw CLIError("\(chips[index]): \(error)")
                }
                throw CLIError("\(error)")
            }
            for (path, descriptor) in zip(chips, descriptors) {
                if json {
                    let values = descriptor.map { "\($0)" }.joined(separator: ",")
                    print("{\"chip\":\(jsonString(path)),\"descriptor\":[\(values)]}")
                } else {
                    print("\(path): " + descriptor.map { String(format: "%.6f", $0) }.joined(separator: " "))
                }
            }
        }

        private func jsonString(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}
