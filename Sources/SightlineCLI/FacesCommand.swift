import ArgumentParser
import Capture
import FaceKit
import Foundation
import Imaging
import SightlineCore
import SightlineRuntime
import SightlineTools

/// `sightline faces …`: the face detector, landmarks and privacy blur on images and footage.
struct FacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces", abstract: "Detect and blur faces in images and footage.",
        subcommands: [Detect.self, Blur.self, BlurVideo.self, Embed.self])

    struct Detect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each face's box [left, top, right, bottom] (dlib's convention), score and 5 landmarks.")

        @Argument(help: "Images: JPEG, PGM or PPM.")
        var images: [String]

        @Option(help: "Times to double the image before detecting (0, 1 or 2); default: as many as --min-size needs.")
        var upsample: Int?

        @Option(name: .customLong("min-size"),
                help: "Width in pixels of the smallest face to find when --upsample is not given.")
        var minSize = TrackedFaceRedactor.Settings.defaultMinFaceWidth

        @Flag(help: "Detect on the luma plane instead of RGB.")
        var gray = false

        @Flag(help: "One JSON object per image.")
        var json = false

        @OptionGroup var modelOptions: ModelOptions

        func validate() throws {
            guard (0...2).contains(upsample ?? 0) else { throw ValidationError("--upsample must be 0, 1 or 2") }
            guard (0...4096).contains(minSize) else { throw ValidationError("--min-size must be 0…4096") }
        }

        func run() throws {
            let (detector, landmarker) = try modelOptions.detectorAndLandmarker()
            let upsample = self.upsample ?? detector.upsample(forFacesOfWidth: Double(minSize))
            var output = OutputBuffer()
            for path in images {
                let image = try loadImage(path, gray: gray)
                let faces = detector.detect(image, upsample: upsample)
                if json {
                    let items = faces.map { face -> String in
                        let points = landmarker.landmarks(in: image, box: face.box).map { "[\($0.x),\($0.y)]" }
                        let b = face.box
                        return "{\"box\":[\(b.left),\(b.top),\(b.right),\(b.bottom)],"
                            + "\"score\":\(String(format: "%.6f", face.score)),\"detector\":\(face.detector),"
                            + "\"landmarks\":[\(points.joined(separator: ","))]}"
                    }
                    output.line("{\"image\":\(jsonString(path)),\"width\":\(image.width),\"height\":\(image.height),"
                                + "\"faces\":[\(items.joined(separator: ","))]}")
                } else {
                    output.line("\(path): \(image.width)x\(image.height), \(faces.count) face(s)")
                    for face in faces {
                        let points = landmarker.landmarks(in: image, box: face.box).map { "(\($0.x),\($0.y))" }
                        output.line("  \(face.box)  score \(String(format: "%.3f", face.score))  "
                                    + "landmarks \(points.joined(separator: " "))")
                    }
                }
            }
            output.flush()
        }
    }

    struct Blur: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Blur every detected face of an image (JPEG, PGM or PPM out, by extension).")

        @Argument(help: "Input image.")
        var input: String

        @Argument(help: "Output image (.jpg, .pgm or .ppm).")
        var output: String

        @Option(help: "Times to double the image before detecting (0, 1 or 2).")
        var upsample = 1

        @OptionGroup var modelOptions: ModelOptions

        func run() throws {
            let detector = try modelOptions.detector()
            var image = try loadImage(input, gray: false)
            let faces = detector.detect(image, upsample: upsample)
            FaceBlurStyle().apply(to: &image, boxes: faces.map(\.box))
            try saveImage(image, to: output)
            print("\(input): blurred \(faces.count) face(s) → \(output)")
        }
    }

    struct BlurVideo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "blur-video",
            abstract: "Blur faces in every frame of footage (tracked across detector misses) into an MJPEG file.")

        @Argument(help: "The source, e.g. mjpeg:clip.mjpeg, avi:clip.avi, jpegdir:DIR, video:clip.mp4.")
        var source: String

        @Argument(help: "Output .mjpeg (concatenated JPEG frames).")
        var output: String

        @Option(help: "Times to double each frame before detecting (0, 1 or 2); default: as many as --min-size needs.")
        var upsample: Int?

        @Option(name: .customLong("min-size"),
                help: "Width in pixels of the smallest face that must be found and blurred (without --upsample).")
        var minSize = TrackedFaceRedactor.Settings.defaultMinFaceWidth

        @Option(name: .customLong("keep-frames"), help: "Frames a face stays blurred after the detector last saw it.")
        var keepFrames = 10

        @Option(help: "JPEG quality of the output.")
        var quality = 85

        @OptionGroup var modelOptions: ModelOptions

        func validate() throws {
            guard (0...2).contains(upsample ?? 0) else { throw ValidationError("--upsample must be 0, 1 or 2") }
            guard (0...4096).contains(minSize) else { throw ValidationError("--min-size must be 0…4096") }
            guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1…100") }
            guard keepFrames >= 0 else { throw ValidationError("--keep-frames must be ≥ 0") }
        }

        func run() throws {
            let blur = FootageBlur(
                redactor: TrackedFaceRedactor(detector: try modelOptions.detector(),
                                              settings: .init(upsample: upsample, minFaceWidth: minSize, every: 1,
                                                              keepFrames: keepFrames)),
                quality: quality)
            let footage: SourceSpec
            do { footage = try SourceSpec(parsing: source) } catch {
                throw CLIError("\(CredentialRedaction.redact(source)): \(error)")
            }
            guard FileManager.default.createFile(atPath: output, contents: nil),
                  let out = FileHandle(forWritingAtPath: output) else { throw CLIError("cannot write \(output)") }
            let summary: FootageBlur.Summary
            do {
                defer { try? out.close() }
                // Through the daemon's pipeline (source, queue, decoder), as fast as it goes, every frame.
                summary = try FootageBlurRun.run(footage: footage, blur: blur) { try out.write(contentsOf: $0) }
            } catch {
                // Nothing half-done is left behind (every frame written was blurred, but the file is incomplete).
                try? FileManager.default.removeItem(atPath: output)
                throw CLIError("\(error)")
            }
            print("\(summary.frames) frame(s), \(summary.blurredBoxes) face box(es) blurred "
                  + "(\(summary.trackedOnlyBoxes) kept by the tracker through detector misses) → \(output)")
        }
    }
}

/// Writes JPEG (.jpg/.jpeg) or PGM/PPM (anything else).
func saveImage(_ image: Image, to path: String) throws {
    let lower = path.lowercased()
    let bytes = lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
        ? try JPEGEncoder.encode(image, quality: 90) : PNM.encode(image)
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw CLIError("cannot write \(path)")
    }
}
