import Crypto
import Foundation

/// The SHA-256 of each model file Sightline reads, by file name: the form of `Models/manifest.json`
/// (`{"files": [{"name": …, "sha256": …}, …]}`), which `make install` copies beside the installed models.
///
/// The manifest that governs a models directory is its own `manifest.json` when it has one, else the built-in
/// copy of `Models/manifest.json` (a test keeps the two equal), so that a corrupted or swapped copy of one of
/// dlib's files is refused wherever it lies. A model of one's own goes beside a `manifest.json` that lists it, or
/// leaves it out (it is then loaded with a warning).
public struct ModelManifest: Sendable, Equatable {
    /// Lower-case hex SHA-256 by file name.
    public var sha256: [String: String]

    public static let fileName = "manifest.json"
    /// Manifests larger than this are refused before they are read.
    static let maximumBytes = 1 << 20

    /// `Models/manifest.json`, built in.
    public static let builtIn = ModelManifest(sha256: [
        "dlib_face_recognition_resnet_model_v1.dat": "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        "shape_predictor_5_face_landmarks.dat": "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
        "frontal_face_detector.svm": "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426",
    ])

    public init(sha256: [String: String]) {
        self.sha256 = sha256
    }

    /// Reads a manifest file; every entry needs a name and a 64-digit hex SHA-256.
    public init(contentsOf path: String) throws(ModelFileError) {
        struct File: Decodable {
            var name: String
            var sha256: String
        }
        struct Manifest: Decodable { var files: [File] }
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > Self.maximumBytes {
                throw ModelFileError.badManifest(path: path, detail: "\(size) bytes, more than a manifest can be")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw .badManifest(path: path, detail: "cannot read it: \(error.localizedDescription)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw .badManifest(path: path, detail: "not a manifest ({\"files\": [{\"name\", \"sha256\"}]}): \(error)")
        }
        var sums: [String: String] = [:]
        for file in manifest.files {
            let sum = file.sha256.lowercased()
            let hex = sum.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            guard sum.utf8.count == 64, hex else {
                throw .badManifest(path: path, detail: "\(file.name): '\(file.sha256)' is not a SHA-256 in hex")
            }
            guard sums.updateValue(sum, forKey: file.name) == nil else {
                throw .badManifest(path: path, detail: "\(file.name) is listed twice")
            }
        }
        sha256 = sums
    }

    /// The manifest that governs `directory` and where it comes from: `directory/manifest.json` when present,
    /// else the built-in one.
    public static func governing(_ directory: String) throws(ModelFileError)
        -> (manifest: ModelManifest, source: String)
    {
        let path = ModelDirectory.join(directory, fileName)
        guard FileManager.default.fileExists(atPath: path) else { return (builtIn, "the built-in manifest") }
        return (try ModelManifest(contentsOf: path), path)
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
        }.joined()
    }
}
