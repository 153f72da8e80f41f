import Crypto
import Foundation
import Matcher
import SightlineTestKit
import Testing

/// Where the models and photos are, from the source tree.
enum CLIFixtures {
    static let top = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let models = top.appendingPathComponent("Models/files").path
    static var modelsAvailable: Bool {
        RequiredFixtures.models(["frontal_face_detector.svm", "shape_predictor_5_face_landmarks.dat",
         "dlib_face_recognition_resnet_model_v1.dat"].allSatisfy { FileManager.default.fileExists(atPath: models + "/" + $0) })
    }
}

/// `sightline gallery` end to end on real photos (the face_recognition sdist's test images in FaceKit's
/// fixtures), through the built binary: enrol from one photo, identify in another, erase, and what the gallery
/// file and the audit log hold afterwards.
@Suite(.serialized, .enabled(if: CLIFixtures.modelsAvailable, "Models/fetch has not been run"))
struct GalleryCommandTests {
    static let models = CLIFixtures.models
    static let photos = CLIFixtures.top.appendingPathComponent("Tests/FaceKitTests/Golden/faces").path

    static var binary: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sightline")
        if !FileManager.default.fileExists(atPath: url.path) {
            url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("sightline")
        }
        return url
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `sightline ARGS…`.
    static func sightline(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func photo(_ name: String) -> String { photos + "/" + name }

    /// The gallery's plaintext, opened with swift-crypto directly (not through `Gallery`).
    static func plaintext(_ path: String) throws -> Data {
        // SLGALRY2, generation, sealed box (authenticated with the 16 header bytes); key file SLGKEY02, generation, key.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let key = SymmetricKey(data: try Data(contentsOf: URL(fileURLWithPath: path + ".key")).suffix(32))
        let box = try ChaChaPoly.SealedBox(combined: raw.dropFirst(16))
        return try ChaChaPoly.open(box, using: key, authenticating: raw.prefix(16))
    }

    struct Contents: Decodable {
        struct Subject: Decodable {
            var id: String
            var templates: [[Float]]
        }
        var subjects: [Subject]
    }

    struct Identified: Decodable, Equatable {
        var image: String
        var box: [Int]
        var subject: String
        var distance: Double?
    }

    static func identified(_ stdout: String) throws -> [Identified] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(Identified.self, from: Data($0.utf8)) }
    }

    @Test func enrolIdentifyEraseFromRealPhotos() throws {
        let dir = NSTemporaryDirectory() + "sightline-cli-gallery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gallery = dir + "/gallery.sealed"
        let common = ["--gallery", gallery, "--models", Self.models]

        // Enrol Obama from one photo and Biden from his.
        let enrol = try Self.sightline(["gallery", "enroll", "obama", "--image", Self.photo("obama.jpg"),
                                        "--purpose", "door access", "--expires", "2099-01-01"] + common)
        #expect(enrol.status == 0, "\(enrol.stderr)")
        #expect(enrol.stdout.contains("enrolled obama: 1 template(s)"))
        let enrolBiden = try Self.sightline(["gallery", "enroll", "biden", "--image", Self.photo("biden.jpg"),
                                             "--purpose", "door access"] + common)
        #expect(enrolBiden.status == 0, "\(enrolBiden.stderr)")

        // The templates carry the SHA-256 of the face network file (as Models/manifest.json records it).
        let list = try Self.sightline(["gallery", "list", "--json", "--gallery", gallery])
        let manifestSHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
        #expect(list.stdout.contains("\"model_sha256\":\"\(manifestSHA256)\""), "\(list.stdout)")

        // Obama in another photo is Obama; Biden is Biden; after Biden's erasure he is unknown.
        let identify = try Self.sightline(["gallery", "identify", Self.photo("obama3.jpg"), Self.photo("biden.jpg"),
                                           "--json"] + common)
        #expect(identify.status == 0, "\(identify.stderr)")
        let faces = try Self.identified(identify.stdout)
        #expect(faces.map(\.subject) == ["obama", "biden"])
        #expect(faces.allSatisfy { ($0.distance ?? 1) < 0.6 })
        #expect(faces.first?.box.count == 4)

        // The decrypted file holds Obama's template; keep its text to look for it after the erasure.
        let before = try Self.plaintext(gallery)
        let contents = try JSONDecoder().decode(Contents.self, from: before)
        let obamaTemplate = try #require(contents.subjects.first { $0.id == "obama" }?.templates.first)
        #expect(obamaTemplate.count == 128)
        let needles = obamaTemplate.prefix(16).map { "\($0)" }
        #expect(needles.allSatisfy { before.range(of: Data($0.utf8)) != nil })

        let copy = try Data(contentsOf: URL(fileURLWithPath: gallery))  // a backup taken before the erasure
        let erase = try Self.sightline(["gallery", "erase", "obama", "--gallery", gallery])
        #expect(erase.status == 0, "\(erase.stderr)")

        // No trace of Obama's templates or name: not in the decrypted contents, not in the raw file.
        let after = try Self.plaintext(gallery)
        let raw = try Data(contentsOf: URL(fileURLWithPath: gallery))
        #expect(after.range(of: Data("obama".utf8)) == nil)
        #expect(after.range(of: Data("biden".utf8)) != nil)
        for needle in needles {
            #expect(after.range(of: Data(needle.utf8)) == nil, "\(needle) is still in the gallery")
            #expect(raw.range(of: Data(needle.utf8)) == nil)
        }
        let bytes = obamaTemplate.prefix(4).withUnsafeBytes { Data($0) }
        #expect(raw.range(of: bytes) == nil && after.range(of: bytes) == nil)
        #expect(raw.range(of: Data("obama".utf8)) == nil)

        let identifyAfter = try Self.sightline(["gallery", "identify", Self.photo("obama3.jpg"), "--json"] + common)
        #expect(try Self.identified(identifyAfter.stdout).map(\.subject) == ["unknown"])

        // The audit log: enrol, enrol, erase — who, what, when and why; no template, no descriptor.
        let auditText = try String(contentsOfFile: gallery + ".audit", encoding: .utf8)
        let audit = try AuditLog(path: gallery + ".audit").entries()
        // Obama's lines name a keyed hash instead, without the purpose of his consent.
        #expect(audit.map(\.action) == [.enrol, .enrol, .erase])
        let alias = try AuditLog(path: gallery + ".audit").pseudonym(of: "obama")
        #expect(audit.map(\.subject) == [alias, "biden", alias])
        #expect(audit.map(\.purpose) == [nil, "door access", nil])
        #expect(!auditText.contains("obama"))
        #expect(audit.allSatisfy { $0.templates == 1 })
        let allowed: Set<String> = ["time", "action", "subject", "purpose", "grantedBy", "expiresAt", "templates",
                                    "modelSHA256", "reason"]
        for line in auditText.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys).isSubset(of: allowed), "\(object.keys)")
            #expect(!object.values.contains { $0 is [Any] })
        }
        for needle in needles { #expect(!auditText.contains(needle)) }

        // The backup taken before the erasure, put back, does not bring Obama back: it is refused.
        try copy.write(to: URL(fileURLWithPath: gallery))
        let restored = try Self.sightline(["gallery", "list", "--gallery", gallery])
        #expect(restored.status != 0)
        #expect(restored.stderr.contains("older copy of the gallery"), "\(restored.stderr)")
        #expect(!restored.stdout.contains("obama"))
    }

    @Test func enrolmentNeedsExactlyOneFacePerPhoto() throws {
        let dir = NSTemporaryDirectory() + "sightline-cli-gallery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gallery = dir + "/gallery.sealed"
        let common = ["--gallery", gallery, "--models", Self.models, "--purpose", "test"]
        // A picture without a face: a grey ramp, as binary PGM.
        let blank = dir + "/blank.pgm"
        try Data(Array("P5\n64 48\n255\n".utf8) + (0..<64 * 48).map { UInt8($0 % 64 * 4) })
            .write(to: URL(fileURLWithPath: blank))

        let several = try Self.sightline(["gallery", "enroll", "someone", "--image", Self.photo("obama.jpg"),
                                          Self.photo("collage.jpg")] + common)
        #expect(several.status != 0)
        #expect(several.stderr.contains("collage.jpg: 5 faces found"), "\(several.stderr)")
        #expect(several.stderr.contains("exactly one face"))
        let none = try Self.sightline(["gallery", "enroll", "someone", "--image", blank] + common)
        #expect(none.status != 0)
        #expect(none.stderr.contains("blank.pgm: no face found"), "\(none.stderr)")
        // Nothing was enrolled from the good photo either: no gallery file was written.
        #expect(!FileManager.default.fileExists(atPath: gallery))
        let reserved = try Self.sightline(["gallery", "enroll", "unknown", "--image", Self.photo("obama.jpg")] + common)
        #expect(reserved.status != 0 && reserved.stderr.contains("'unknown'"))
    }

    @Test func descriptorJSONRemainsAnAlternative() throws {
        let dir = NSTemporaryDirectory() + "sightline-cli-gallery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gallery = dir + "/gallery.sealed"
        let descriptor = (0..<128).map { Float($0) / 1000 }
        let json = dir + "/descriptors.json"
        let file: [String: Any] = [
            "model_sha256": String(repeating: "ab", count: 32),
            "images": ["a.jpg": [["box": [1, 2, 3, 4], "descriptor": descriptor]],
                       "b.jpg": [["box": [5, 6, 7, 8], "descriptor": descriptor.map { $0 + 0.1 }]]],
        ]
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: json))
        let enrol = try Self.sightline(["gallery", "enroll", "ann", "--image", "a.jpg", "--purpose", "test",
                                        "--gallery", gallery, "--descriptor-json", json])
        #expect(enrol.status == 0, "\(enrol.stderr)")
        let identify = try Self.sightline(["gallery", "identify", "a.jpg", "b.jpg", "--json", "--gallery", gallery,
                                           "--descriptor-json", json])
        let faces = try Self.identified(identify.stdout)
        #expect(faces.map(\.subject) == ["ann", "unknown"])
        #expect(faces.first?.box == [1, 2, 3, 4])
        // The FaceKit models are another model than "abab…": the gallery refuses to compare with them.
        let mixed = try Self.sightline(["gallery", "identify", Self.photo("obama3.jpg"), "--gallery", gallery,
                                        "--models", Self.models])
        #expect(mixed.status != 0 && mixed.stderr.contains("model"), "\(mixed.stderr)")
    }
}
