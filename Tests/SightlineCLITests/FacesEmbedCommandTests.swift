import Foundation
import Testing

/// `sightline faces embed IMAGE…` through the built binary against dlib's whole-image descriptors
/// (Golden/faces/embeddings.json, recorded by Tools/reference/record_embeddings: dlib's detector at upsample 1,
/// its 5-point shape predictor and `compute_face_descriptor(image, shape)`), and how every face command finds
/// and checks its models.
@Suite(.serialized, .enabled(if: CLIFixtures.modelsAvailable, "Models/fetch has not been run"))
struct FacesEmbedCommandTests {
    static let faces = CLIFixtures.top.appendingPathComponent("Tests/FaceKitTests/Golden/faces")

    struct Golden: Decodable {
        struct Face: Decodable {
            var box: [Int]
            var descriptor: [Float]
        }
        struct Picture: Decodable {
            var file: String
            var upsample: Int
            var faces: [Face]
        }
        var images: [Picture]
    }

    struct Output: Decodable {
        struct Face: Decodable {
            var box: [Int]
            var score: Double
            var descriptor: [Float]
        }
        var image: String
        var width: Int
        var height: Int
        var faces: [Output.Face]
    }

    static func iou(_ a: [Int], _ b: [Int]) -> Double {
        let w = min(a[2], b[2]) - max(a[0], b[0]) + 1, h = min(a[3], b[3]) - max(a[1], b[1]) + 1
        guard w > 0, h > 0 else { return 0 }
        let area = { (r: [Int]) in Double((r[2] - r[0] + 1) * (r[3] - r[1] + 1)) }
        return Double(w * h) / (area(a) + area(b) - Double(w * h))
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    /// Runs `sightline ARGS…` in `directory` with `environment` added (SIGHTLINE_MODELS removed unless given).
    static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:])
        throws -> GalleryCommandTests.Result
    {
        let process = Process()
        process.executableURL = GalleryCommandTests.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SIGHTLINE_MODELS"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                     stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("every face of each image: dlib's box, and a descriptor within 0.02 of dlib's")
    func matchesDlibsWholeImageDescriptors() throws {
        let golden = try JSONDecoder().decode(
            Golden.self, from: Data(contentsOf: Self.faces.appendingPathComponent("embeddings.json")))
        let paths = golden.images.map { Self.faces.appendingPathComponent($0.file).path }
        let result = try Self.run(["faces", "embed", "--json", "--models", CLIFixtures.models] + paths)
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == golden.images.count, "\(result.stdout)")
        var compared = 0
        for (line, expected) in zip(lines, golden.images) {
            let output = try JSONDecoder().decode(Output.self, from: Data(line.utf8))
            #expect(output.image.hasSuffix(expected.file))
            #expect(output.faces.count == expected.faces.count, "\(expected.file): \(output.faces.map(\.box))")
            for face in expected.faces {
                let best = output.faces.max { Self.iou($0.box, face.box) < Self.iou($1.box, face.box) }
                let ours = try #require(best, "\(expected.file): dlib's \(face.box) not found")
                #expect(Self.iou(ours.box, face.box) >= 0.95, "\(expected.file): \(ours.box) vs dlib \(face.box)")
                #expect(ours.descriptor.count == 128)
                let distance = Self.distance(ours.descriptor, face.descriptor)
                #expect(distance <= 0.02, "\(expected.file) \(face.box): \(distance) from dlib's descriptor")
                compared += 1
            }
        }
        #expect(compared >= 8)
    }

    @Test("text output lists each face with its box and 128 numbers; --chip still embeds a chip")
    func textAndChips() throws {
        let obama = Self.faces.appendingPathComponent("obama.jpg").path
        let text = try Self.run(["faces", "embed", "--models", CLIFixtures.models, obama])
        try #require(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.first?.hasSuffix("obama.jpg: 512x640, 1 face(s)") == true, "\(text.stdout)")
        let numbers = lines.dropFirst().first?.split(separator: "descriptor ").last?.split(separator: " ")
        #expect(numbers?.count == 128)

        let chip = Self.faces.appendingPathComponent("chip-obama-0.ppm").path
        let chipRun = try Self.run(["faces", "embed", "--json", "--models", CLIFixtures.models, "--chip", chip])
        try #require(chipRun.status == 0, "\(chipRun.stderr)")
        #expect(chipRun.stdout.hasPrefix("{\"chip\":") && chipRun.stdout.contains("\"descriptor\":["))
    }

    @Test("without --models the commands find the models through SIGHTLINE_MODELS, or ./Models/files")
    func findsModelsWithoutFlags() throws {
        let obama = Self.faces.appendingPathComponent("obama.jpg").path
        let elsewhere = NSTemporaryDirectory() + "sightline-models-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }

        let byEnvironment = try Self.run(["faces", "detect", obama], in: elsewhere,
                                         environment: ["SIGHTLINE_MODELS": CLIFixtures.models])
        #expect(byEnvironment.status == 0 && byEnvironment.stdout.contains("1 face(s)"), "\(byEnvironment.stderr)")
        let inTree = try Self.run(["faces", "embed", obama], in: CLIFixtures.top.path)
        #expect(inTree.status == 0 && inTree.stdout.contains("1 face(s)"), "\(inTree.stderr)")

        let nowhere = try Self.run(["faces", "detect", obama], in: elsewhere)
        #expect(nowhere.status != 0)
        #expect(nowhere.stderr.contains(elsewhere + "/Models/files") && nowhere.stderr.contains("share/sightline/models")
                && nowhere.stderr.contains("Models/fetch"), "\(nowhere.stderr)")
    }

    @Test("a corrupted model is refused by every command that loads it, naming the file and both digests")
    func corruptedModelIsRefused() throws {
        let directory = NSTemporaryDirectory() + "sightline-corrupt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["frontal_face_detector.svm", "shape_predictor_5_face_landmarks.dat",
                     "dlib_face_recognition_resnet_model_v1.dat"] {
            try FileManager.default.copyItem(atPath: CLIFixtures.models + "/" + name, toPath: directory + "/" + name)
        }
        let network = directory + "/dlib_face_recognition_resnet_model_v1.dat"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: network)))
        bytes[bytes.count - 100] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: network))
        let obama = Self.faces.appendingPathComponent("obama.jpg").path
        let detect = try Self.run(["faces", "detect", "--models", directory, obama])
        #expect(detect.status == 0, "the detector and landmarks are intact: \(detect.stderr)")
        let embed = try Self.run(["faces", "embed", "--models", directory, obama])
        #expect(embed.status != 0)
        #expect(embed.stderr.contains(network) && embed.stderr.contains("SHA-256")
                && embed.stderr.contains("55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"),
                "\(embed.stderr)")
    }
}
