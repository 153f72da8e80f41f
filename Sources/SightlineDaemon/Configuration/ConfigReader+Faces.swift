import Yams

extension ConfigReader {
    /// Keys of a camera's `faces:` section.
    static let faceKeys = ["detect", "blur_evidence", "upsample", "every_n_frames", "min_size", "keep_frames",
                           "models", "recognition"]

    /// Reads a camera's `faces:` mapping; wrong values are reported and fall back to defaults.
    mutating func readFaces(_ node: Node, path: String) -> FaceConfiguration? {
        guard let fields = fields(of: node, path: path, known: Self.faceKeys) else { return nil }
        var faces = FaceConfiguration()
        faces.detect = flag(fields, "detect") ?? faces.detect
        faces.blurEvidence = flag(fields, "blur_evidence") ?? faces.blurEvidence
        faces.upsample = integer(fields, "upsample", in: 0...2, "0, 1 or 2") ?? faces.upsample
        faces.everyNFrames = integer(fields, "every_n_frames", in: 1...1000, "an integer from 1 to 1000")
            ?? faces.everyNFrames
        faces.minSize = integer(fields, "min_size", in: 0...4096, "a width in pixels from 0 to 4096") ?? faces.minSize
        faces.keepFrames = integer(fields, "keep_frames", in: 0...1000, "an integer from 0 to 1000")
            ?? faces.keepFrames
        faces.models = text(fields, "models") ?? faces.models
        if flag(fields, "recognition") == true {
            report(fields, "recognition", "face recognition is not available in this build; remove the key "
                + "or set it to false")
        }
        if faces.blurEvidence && !faces.detect {
            report(fields, "blur_evidence", "blurring evidence needs the detector; set 'detect: true' or "
                + "'blur_evidence: false'")
        }
        return faces
    }
}
