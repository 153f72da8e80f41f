import Foundation
import Testing
@testable import FaceKit

/// Where model files are found (`--models`, `SIGHTLINE_MODELS`, the installed directory, ./Models/files) and the
/// SHA-256 check against the manifest when they are loaded: a corrupted copy is refused, naming the file and both
/// digests; a file the manifest does not list loads with a warning.
@Suite(.enabled(if: ModelFiles.available(ModelFiles.detectorName), "Models/fetch has not been run"))
struct ModelDirectoryTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "facekit-models-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("search order: the explicit directory alone, else SIGHTLINE_MODELS alone, else installed then source tree")
    func candidates() {
        let explicit = ModelDirectory.candidates(explicit: "/m", environment: "/env", executable: "/usr/bin/sightline",
                                                 currentDirectory: "/src")
        #expect(explicit == [.init(path: "/m", origin: .explicit)])
        let environment = ModelDirectory.candidates(explicit: nil, environment: "/env",
                                                    executable: "/usr/bin/sightline", currentDirectory: "/src")
        #expect(environment == [.init(path: "/env", origin: .environment)])
        let search = ModelDirectory.candidates(explicit: nil, environment: "", executable: "/tmp/x/usr/bin/sightline",
                                               currentDirectory: "/src")
        #expect(search == [.init(path: "/tmp/x/usr/share/sightline/models", origin: .installed),
                           .init(path: "/src/Models/files", origin: .sourceTree)])
    }

    @Test("the first directory holding the needed files wins; none: every place searched is named")
    func resolution() throws {
        let empty = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let candidates: [ModelDirectory.Candidate] = [.init(path: empty, origin: .installed),
                                                      .init(path: ModelFiles.directory, origin: .sourceTree)]
        let found = try ModelDirectory.resolve(among: candidates, needing: [ModelFiles.detectorName])
        #expect(found.path == ModelFiles.directory && found.origin == .sourceTree)
        #expect(found.manifest == ModelManifest.builtIn, "Models/files has no manifest.json: the built-in one")

        let error = #expect(throws: ModelFileError.self) {
            _ = try ModelDirectory.resolve(among: [.init(path: empty, origin: .installed),
                                                   .init(path: empty + "/absent", origin: .sourceTree)],
                                           needing: [ModelFiles.detectorName])
        }
        let text = error?.description ?? ""
        #expect(text.contains(empty + " (installed beside the program)") && text.contains(empty + "/absent"), "\(text)")
        #expect(text.contains("lacks frontal_face_detector.svm") && text.contains("Models/fetch"), "\(text)")
    }

    @Test("a corrupted copy of a model is refused, naming the file, the expected and the actual SHA-256")
    func corruptedCopy() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try ModelFiles.bytes(ModelFiles.detectorName)
        // One flipped bit that the parser cannot see (a filter weight): the first such from the middle on.
        let corrupted = (original.count / 2..<original.count).lazy.map { offset -> [UInt8] in
            var bytes = original
            bytes[offset] ^= 0x01
            return bytes
        }.first { (try? FHOGDetectorModel(bytes: $0)) != nil }
        let bytes = try #require(corrupted)
        let path = directory + "/" + ModelFiles.detectorName
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let models = try ModelDirectory.resolve(among: [.init(path: directory, origin: .explicit)],
                                                needing: [ModelFiles.detectorName])
        let expected = try #require(ModelManifest.builtIn.sha256[ModelFiles.detectorName])
        let actual = ModelManifest.sha256(of: bytes)
        var warnings: [String] = []
        let error = #expect(throws: ModelFileError.self) { _ = try models.detector { warnings.append($0) } }
        #expect(error == .mismatch(path: path, expected: expected, actual: actual, manifest: "the built-in manifest"))
        let text = error?.description ?? ""
        #expect(text.contains(path) && text.contains(expected) && text.contains(actual), "\(text)")
        #expect(warnings.isEmpty)
    }

    @Test("the manifest beside the models governs: a listed sum must match, an unlisted file loads with a warning")
    func manifestBeside() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: ModelFiles.path(ModelFiles.detectorName),
                                         toPath: directory + "/" + ModelFiles.detectorName)
        let manifest = directory + "/manifest.json"
        try Data(#"{"files": []}"#.utf8).write(to: URL(fileURLWithPath: manifest))
        let own = try ModelDirectory.resolve(among: [.init(path: directory, origin: .explicit)],
                                             needing: [ModelFiles.detectorName])
        #expect(own.manifestSource == manifest)
        var warnings: [String] = []
        _ = try own.detector { warnings.append($0) }
        #expect(warnings.count == 1 && warnings[0].contains(directory + "/" + ModelFiles.detectorName), "\(warnings)")

        let wrong = String(repeating: "0", count: 64)
        try Data(#"{"files": [{"name": "frontal_face_detector.svm", "sha256": "\#(wrong)"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let listed = try ModelDirectory.resolve(among: [.init(path: directory, origin: .explicit)],
                                                needing: [ModelFiles.detectorName])
        let error = #expect(throws: ModelFileError.self) { _ = try listed.detector { _ in } }
        guard case .mismatch(_, let expected, _, let source)? = error else {
            Issue.record("expected a mismatch, got \(String(describing: error))")
            return
        }
        #expect(expected == wrong && source == manifest)

        try Data(#"{"files": [{"name": "x", "sha256": "abc"}]}"#.utf8).write(to: URL(fileURLWithPath: manifest))
        #expect(throws: ModelFileError.self) {
            _ = try ModelDirectory.resolve(among: [.init(path: directory, origin: .explicit)],
                                           needing: [ModelFiles.detectorName])
        }
    }

    @Test("the real models load through the check without a warning")
    func realModels() throws {
        let models = try ModelDirectory.resolve(among: [.init(path: ModelFiles.directory, origin: .sourceTree)],
                                                needing: [ModelFiles.detectorName, ModelFiles.shapePredictorName])
        var warnings: [String] = []
        _ = try models.detector { warnings.append($0) }
        _ = try models.landmarks { warnings.append($0) }
        #expect(warnings.isEmpty, "\(warnings)")
    }
}
