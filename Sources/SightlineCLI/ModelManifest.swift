import Foundation

/// The SHA-256 of each model file Sightline reads, by file name: those of `Models/manifest.json`, built in so
/// that `sightline doctor` can check an installed box where the repository is not. A test keeps the two equal.
struct ModelManifest: Sendable, Equatable {
    var sha256: [String: String]

    static let builtIn = ModelManifest(sha256: [
        "dlib_face_recognition_resnet_model_v1.dat": "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        "shape_predictor_5_face_landmarks.dat": "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
        "frontal_face_detector.svm": "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426",
    ])

    /// Reads a manifest in the form of `Models/manifest.json` (`{"files": [{"name", "sha256"}, …]}`).
    init(contentsOf path: String) throws {
        struct File: Decodable {
            var name: String
            var sha256: String
        }
        struct Manifest: Decodable { var files: [File] }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        sha256 = Dictionary(manifest.files.map { ($0.name, $0.sha256.lowercased()) }, uniquingKeysWith: { a, _ in a })
    }

    init(sha256: [String: String]) {
        self.sha256 = sha256
    }
}
