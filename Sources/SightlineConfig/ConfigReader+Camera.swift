import Yams

extension ConfigReader {
    /// Keys of one `cameras:` entry that this build reads.
    static let cameraKeys = [
        "id", "source", "width", "height", "fps", "process_fps", "processing_width",
        "device_timeout", "queue_depth", "replay", "loop", "enabled", "faces", "traffic", "events",
    ]
    /// Per-camera sections later builds fill.
    static let reservedCameraKeys: [String] = []

    /// Reads one camera entry. Returns its id when valid (for the duplicate check, even if the rest
    /// is wrong) and the camera when both id and source are valid; other wrong values fall back to
    /// defaults after being reported.
    mutating func readCamera(
        _ node: Node, path: String, reserved: inout [String]
    ) -> (id: String?, camera: CameraConfiguration?) {
        guard let fields = fields(of: node, path: path, known: Self.cameraKeys + Self.reservedCameraKeys) else {
            return (nil, nil)
        }
        require(fields, "id")
        require(fields, "source", " (such as v4l2:/dev/video0 or jpegdir:/srv/footage)")
        let id = text(fields, "id").flatMap { checkCameraID($0, fields) }
        let source = text(fields, "source")
        let kind = source.flatMap { checkSource($0, fields) }
        var camera = CameraConfiguration(id: id ?? "", source: source ?? "")

        camera.width = integer(fields, "width", in: 16...8192, "an integer from 16 to 8192")
        camera.height = integer(fields, "height", in: 16...8192, "an integer from 16 to 8192")
        if (fields["width"] == nil) != (fields["height"] == nil) {
            let given = fields["width"] == nil ? "height" : "width"
            let missing = given == "width" ? "height" : "width"
            report(fields, given, "'\(given)' needs '\(missing)' as well; give both or neither")
        }
        camera.fps = positiveNumber(fields, "fps", atMost: 1000)
        camera.processFPS = positiveNumber(fields, "process_fps", atMost: 1000)
        let processingWidth = "0 (full size) or a width in pixels from 16 to 8192"
        if let width = integer(fields, "processing_width", in: 0...8192, processingWidth) {
            if (1..<16).contains(width) {
                report(fields, "processing_width", "must be \(processingWidth), got '\(width)'")
            } else {
                camera.processingWidth = width
            }
        }
        camera.deviceTimeout = positiveNumber(fields, "device_timeout", atMost: 3600) ?? camera.deviceTimeout
        camera.queueDepth = integer(fields, "queue_depth", in: 1...64, "an integer from 1 to 64") ?? camera.queueDepth
        camera.replay = choice(fields, "replay", among: ReplayMode.allCases.map(\.rawValue))
            .flatMap(ReplayMode.init(rawValue:)) ?? camera.replay
        camera.loop = flag(fields, "loop") ?? camera.loop
        camera.enabled = flag(fields, "enabled") ?? camera.enabled
        if let traffic = fields["traffic"] {
            camera.traffic = readTraffic(traffic, path: fields.path("traffic"))
        }
        if let kind {
            checkKindSpecificKeys(fields, kind: kind, camera: &camera)
        }
        if let node = fields["faces"] { camera.faces = readFaces(node, path: fields.path("faces")) }
        if let node = fields["events"] { camera.events = readCameraEvents(node, path: fields.path("events")) }
        reserved += readReserved(fields, Self.reservedCameraKeys)
        guard let id, kind != nil else { return (id, nil) }
        camera.id = id
        return (id, camera)
    }

    /// Refuses keys that mean nothing for this kind of source, and fills in the file rate.
    private mutating func checkKindSpecificKeys(
        _ fields: MappingFields, kind: CameraSourceKind, camera: inout CameraConfiguration
    ) {
        if kind.isFile {
            for key in ["width", "height"] where fields[key] != nil {
                report(fields, key, "'\(key)' applies to v4l2 cameras only; a \(kind) file sets its own frame size")
            }
            if camera.loop && camera.sourcePath == "-" {
                report(fields, "loop", "standard input cannot be looped; remove 'loop' or read from a file")
            }
        } else {
            for key in ["loop", "replay"] where fields[key] != nil {
                report(fields, key, "'\(key)' applies to file sources only, not to a v4l2 camera")
            }
        }
        if kind == .avi || kind == .y4m, fields["fps"] != nil {
            report(fields, "fps", "\(kind) files record their own frame rate; 'fps' applies to v4l2, mjpeg and "
                + "jpegdir sources (use 'process_fps' to process fewer frames)")
        }
        if kind.needsFileRate && camera.fps == nil && fields["fps"] == nil {
            camera.fps = CameraConfiguration.defaultFileFPS
        }
    }

    /// Checks `[A-Za-z0-9_-]{1,64}`; returns the id when valid.
    private mutating func checkCameraID(_ id: String, _ fields: MappingFields) -> String? {
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_"
                || scalar == "-")
        }
        guard allowed, (1...64).contains(id.unicodeScalars.count) else {
            report(fields, "id", "must be 1 to 64 letters, digits, '_' or '-' (it names metrics and files), "
                + "got '\(id)'")
            return nil
        }
        return id
    }

    /// Checks `KIND:PATH`; returns the kind when valid. Files are not opened here: a camera may be
    /// plugged in after the configuration is checked.
    private mutating func checkSource(_ source: String, _ fields: MappingFields) -> CameraSourceKind? {
        let kinds = CameraSourceKind.allCases.map(\.rawValue)
        guard let colon = source.firstIndex(of: ":") else {
            var message = "must be KIND:PATH with KIND one of \(kinds.joined(separator: ", ")), got '\(source)'"
            if source.hasPrefix("/dev/") {
                message += "; did you mean 'v4l2:\(source)'?"
            }
            report(fields, "source", message)
            return nil
        }
        let kindText = String(source[..<colon])
        let path = source[source.index(after: colon)...]
        guard let kind = CameraSourceKind(rawValue: kindText) else {
            var message = "unknown source kind '\(kindText)'; expected one of \(kinds.joined(separator: ", "))"
            if let guess = Suggestion.closest(to: kindText, among: kinds) {
                message += "; did you mean '\(guess)'?"
            }
            report(fields, "source", message)
            return nil
        }
        if path.isEmpty {
            report(fields, "source", "'\(source)' has no path after '\(kind):'")
            return nil
        }
        if path == "-" && kind != .y4m && kind != .mjpeg {
            report(fields, "source", "only y4m and mjpeg can read standard input ('y4m:-', 'mjpeg:-'), got '\(source)'")
            return nil
        }
        if kind == .v4l2 && !path.hasPrefix("/") {
            report(fields, "source", "v4l2 needs a device path such as v4l2:/dev/video0, got '\(source)'")
            return nil
        }
        return kind
    }
}
