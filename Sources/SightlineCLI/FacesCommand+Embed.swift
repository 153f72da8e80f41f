import ArgumentParser
import FaceKit
import Foundation
import SightlineCore
import SightlineTools

extension FacesCommand {
    /// `sightline faces embed [IMAGE…] [--chip CHIP …] [--upsample N] [--json] [--models DIR]`.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the 128-d dlib face descriptor of every face in images, or of aligned chips.",
            discussion: """
                For each IMAGE (JPEG, PNG, PGM or PPM) every face is detected, aligned on its 5 landmarks into a \
                150x150 chip as dlib's get_face_chip(image, shape, size=150, padding=0.25) cuts it, and embedded: \
                per face its box [left, top, right, bottom] (dlib's convention), detector score and descriptor. \
                A --chip is such a chip already cut (150x150 RGB) and is embedded as it is. Descriptors equal \
                dlib's compute_face_descriptor within 1e-3 (Euclidean) on the same chip; two faces whose \
                descriptors are closer than 0.6 are the same person by dlib's rule.
                """)

        @Argument(help: "Images whose faces to describe: JPEG, PNG, PGM or PPM.")
        var images: [String] = []

        @Option(name: .customLong("chip"), help: "A 150x150 RGB chip (PNG, JPEG or PPM); repeat for more.")
        var chips: [String] = []

        @Option(help: "Times each image is doubled before detection (0, 1 or 2); 1 finds faces from about 40 px.")
        var upsample = 1

        @Flag(help: """
            One JSON object per image, {"image", "width", "height", "faces": [{"box", "score", "descriptor"}]}, \
            and per chip, {"chip": PATH, "descriptor": [128 numbers]}.
            """)
        var json = false

        @OptionGroup var modelOptions: ModelOptions

        func validate() throws {
            guard !images.isEmpty || !chips.isEmpty else { throw ValidationError("give an IMAGE or a --chip") }
            guard (0...2).contains(upsample) else { throw ValidationError("--upsample must be 0, 1 or 2") }
        }

        func run() throws {
            var output = OutputBuffer()
            if !chips.isEmpty { try embedChips(into: &output) }
            if !images.isEmpty { try describeImages(into: &output) }
            output.flush()
        }

        private func embedChips(into output: inout OutputBuffer) throws {
            let embedder = try FaceChips.embedder(models: modelOptions.models)
            let pictures = try chips.map(FaceChips.load)
            let descriptors: [[Float]]
            do {
                descriptors = try embedder.embed(chips: pictures)
            } catch {
                if case .wrongChipShape(let index, _, _, _, _, _) = error {
                    throw CLIError("\(chips[index]): \(error)")
                }
                throw CLIError("\(error)")
            }
            for (path, descriptor) in zip(chips, descriptors) {
                if json {
                    output.line("{\"chip\":\(jsonString(path)),\"descriptor\":\(Self.json(descriptor))}")
                } else {
                    output.line("\(path): " + descriptor.map { String(format: "%.6f", $0) }.joined(separator: " "))
                }
            }
        }

        private func describeImages(into output: inout OutputBuffer) throws {
            let describer = try modelOptions.describer()
            for path in images {
                let image = try loadImage(path, gray: false)
                let faces: [FaceDescriber.Face]
                do {
                    faces = try describer.describe(image, upsample: upsample)
                } catch {
                    throw CLIError("\(path): \(error)")
                }
                if json {
                    let items = faces.map { face in
                        let b = face.box
                        return "{\"box\":[\(b.left),\(b.top),\(b.right),\(b.bottom)],"
                            + "\"score\":\(String(format: "%.6f", face.score)),"
                            + "\"descriptor\":\(Self.json(face.descriptor))}"
                    }
                    output.line("{\"image\":\(jsonString(path)),\"width\":\(image.width),\"height\":\(image.height),"
                                + "\"faces\":[\(items.joined(separator: ","))]}")
                } else {
                    output.line("\(path): \(image.width)x\(image.height), \(faces.count) face(s)")
                    for face in faces {
                        output.line("  \(face.box)  score \(String(format: "%.3f", face.score))  descriptor "
                                    + face.descriptor.map { String(format: "%.6f", $0) }.joined(separator: " "))
                    }
                }
            }
        }

        /// The descriptor as a JSON array, each number in its shortest form that reads back exactly.
        private static func json(_ descriptor: [Float]) -> String {
            "[" + descriptor.map { "\($0)" }.joined(separator: ",") + "]"
        }
    }
}
