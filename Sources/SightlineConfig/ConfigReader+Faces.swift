import Yams

extension ConfigReader {
    /// Keys of a camera's `faces:` section.
    static let faceKeys = ["detect", "blur_evidence", "upsample", "every_n_frames", "min_size", "keep_frames",
                           "models", "recognize", "recognition"]
    /// Keys of `faces.recognize:`.
    static let recognitionKeys = ["enabled", "gallery", "key", "threshold", "margin", "confirm_k", "confirm_n",
                                  "evidence"]

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
        if fields["recognition"] != nil {
            report(fields, "recognition", "there is no 'recognition' key; recognition is configured (and off "
                + "unless enabled) under 'recognize: {enabled: true, gallery: PATH}'")
        }
        if let node = fields["recognize"] {
            faces.recognize = readRecognition(node, path: fields.path("recognize")) ?? faces.recognize
            if faces.recognize.enabled && !faces.detect {
                report(fields, "recognize", "recognition needs the detector; set 'detect: true'")
            }
        }
        if faces.blurEvidence && !faces.detect {
            report(fields, "blur_evidence", "blurring evidence needs the detector; set 'detect: true' or "
                + "'blur_evidence: false'")
        }
        return faces
    }

    /// Reads `faces.recognize:`; wrong values are reported and fall back to defaults.
    mutating func readRecognition(_ node: Node, path: String) -> RecognitionConfiguration? {
        guard let fields = fields(of: node, path: path, known: Self.recognitionKeys) else { return nil }
        var recognize = RecognitionConfiguration()
        recognize.enabled = flag(fields, "enabled") ?? recognize.enabled
        recognize.gallery = text(fields, "gallery")
        recognize.key = text(fields, "key")
        recognize.threshold = positiveNumber(fields, "threshold", atMost: 2) ?? recognize.threshold
        recognize.margin = number(fields, "margin", in: 0...2, "a number from 0 to 2") ?? recognize.margin
        recognize.confirmK = integer(fields, "confirm_k", in: 1...100, "an integer from 1 to 100") ?? recognize.confirmK
        recognize.confirmN = integer(fields, "confirm_n", in: 1...100, "an integer from 1 to 100") ?? recognize.confirmN
        recognize.evidence = flag(fields, "evidence") ?? recognize.evidence
        if recognize.confirmK > recognize.confirmN {
            report(fields, "confirm_k", "must not exceed confirm_n (\(recognize.confirmN)): a face cannot match in "
                + "\(recognize.confirmK) of its last \(recognize.confirmN) frames")
        }
        if recognize.enabled && recognize.gallery == nil {
            require(fields, "gallery", "; recognition compares faces only with an enrolled gallery (the file "
                + "'sightline gallery enroll --gallery PATH' writes)")
        }
        return recognize
    }

    /// An unquoted number (integer or decimal) within `range`; `expectation` completes "must be …".
    mutating func number(
        _ fields: MappingFields, _ field: String, in range: ClosedRange<Double>, _ expectation: String
    ) -> Double? {
        guard let node = fields[field] else { return nil }
        let tag = node.tag.rawValue
        let value = tag == Tag.Name.int.rawValue ? node.int.map(Double.init)
            : tag == Tag.Name.float.rawValue ? node.float : nil
        guard let value, range.contains(value) else {
            report(fields, field, "must be \(expectation), got \(Self.describe(node))" + Self.quoteHint(node))
            return nil
        }
        return value
    }
}
