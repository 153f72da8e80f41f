import FaceKit
import Foundation
import Imaging
import Logging
import Matcher
import SightlineCore
import SightlineTestKit
import Synchronization

/// Real photos (the face_recognition sdist's test images, FaceKit's fixtures) and the dlib models for the
/// recognition tests.
enum RecognitionFixtures {
    static let photos = FaceStagePaths.top.appendingPathComponent("Tests/FaceKitTests/Golden/faces")
    static let models = FaceStagePaths.models
    static var available: Bool {
        RequiredFixtures.models(
            [FaceDescriber.FileName.detector, FaceDescriber.FileName.landmarks, FaceDescriber.FileName.embedder]
                .allSatisfy { FileManager.default.fileExists(atPath: models + "/" + $0) })
    }

    static func photo(_ name: String) throws -> Image {
        let bytes = [UInt8](try Data(contentsOf: photos.appendingPathComponent(name)))
        return try JPEGDecoder().decode(bytes, scale: 1, gray: false).image
    }

    /// One describer for the whole suite (loading and compiling the network takes a moment), behind a lock.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var describer: FaceDescriber?

    static func withDescriber<T>(_ body: (FaceDescriber) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if describer == nil { describer = try FaceDescriber(modelsDirectory: models) }
        return try body(describer!)
    }

    static var modelSHA256: String {
        get throws { try ModelFingerprint.sha256(ofFile: models + "/" + FaceDescriber.FileName.embedder) }
    }

    /// Two photos side by side on one canvas (top-aligned, black elsewhere): `left` at x = 0, `right` after it.
    static func sideBySide(_ left: Image, _ right: Image) -> Image {
        let width = left.width + right.width, height = max(left.height, right.height)
        var canvas = Image(width: width, height: height, channels: 3)
        for (image, x0) in [(left, 0), (right, left.width)] {
            for y in 0..<image.height {
                let source = y * image.width * 3
                let target = (y * width + x0) * 3
                canvas.pixels.replaceSubrange(target..<target + image.width * 3,
                                              with: image.pixels[source..<source + image.width * 3])
            }
        }
        return canvas
    }

    /// A gallery in `directory` with `subject` enrolled from the single face of `photo`.
    static func gallery(in directory: String, subject: String, photo: String, expires: Date? = nil,
                        now: @escaping @Sendable () -> Date = { Date() }) throws -> Gallery {
        let faces = try withDescriber { try $0.describe(try Self.photo(photo), upsample: 1) }
        precondition(faces.count == 1, "\(photo) should show one face")
        let gallery = try Gallery(path: directory + "/gallery.sealed", now: now)
        try gallery.enroll(subject: subject, templates: [faces[0].descriptor], modelSHA256: try modelSHA256,
                           consent: Consent(purpose: "door access", grantedBy: subject, grantedAt: now(),
                                            expiresAt: expires))
        return gallery
    }
}

/// A temporary directory removed when released.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sightline-recognition-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
