import SightlineCore
import Yams

#if canImport(Glibc)
import Glibc
#endif

extension ConfigReader {
    /// Keys of one `cameras:` entry that this build reads.
    static let cameraKeys = [
        "id", "source", "width", "height", "fps", "process_fps", "processing_width",
        "device_timeout", "queue_depth", "replay", "loop", "enabled", "faces", "traffic", "events",
        "transport", "hwaccel", "password_file", "ca", "privacy_masks", "evidence_clip",
    ]
    /// Per-camera sections later builds fill.
    static let reservedCameraKeys: [String] = []

    /// Reads one camera entry. Returns its id when valid (for the duplicate check, even if the rest
    /// is wrong) and the camera when both id and source are valid; other wrong values fall back to
    /// defaults after being reported.
    ///
    /// `standalone` reads a single-camera file (`sightline replay --camera-config`), where the footage is named
    /// on the command line: `id` and `source` may be absent there (`camera` and `y4m:-` stand in).
    mutating func readCamera(
        _ node: Node, path: String, reserved: inout [String], standalone: Bool = false
    ) -> (id: String?, camera: CameraConfiguration?) {
        guard let fields = fields(of: node, path: path, known: Self.cameraKeys + Self.reservedCameraKeys) else {
            return (nil, nil)
        }
        if !standalone {
            require(fields, "id")
            require(fields, "source", " (such as v4l2:/dev/video0 or jpegdir:/srv/footage)")
        }
        var id = text(fields, "id").flatMap { checkCameraID($0, fields) }
        var source = text(fields, "source").flatMap { checkSource($0, fields) }
        if standalone {
            if fields["id"] == nil { id = "camera" }
            if fields["source"] == nil { source = .y4m(path: "-") }
        }
        var camera = CameraConfiguration(id: id ?? "", source: source ?? .y4m(path: "-"))

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
        camera.replay = choice(fields, "replay", among: ReplayPacing.allCases.map(\.rawValue))
            .flatMap(ReplayPacing.init(rawValue:)) ?? camera.replay
        camera.loop = flag(fields, "loop") ?? camera.loop
        camera.enabled = flag(fields, "enabled") ?? camera.enabled
        camera.transport = choice(fields, "transport", among: RTSPTransport.allCases.map(\.rawValue))
            .flatMap(RTSPTransport.init(rawValue:)) ?? camera.transport
        camera.hardwareDecoding = choice(fields, "hwaccel", among: HardwareDecoding.allCases.map(\.rawValue))
            .flatMap(HardwareDecoding.init(rawValue:)) ?? camera.hardwareDecoding
        camera.passwordFile = text(fields, "password_file")
        camera.tlsCAFile = text(fields, "ca")
        if let node = fields["evidence_clip"] {
            if case .sequence(let items) = node, items.count == 2, let before = Self.numeric(items[0]),
               let after = Self.numeric(items[1]), (0...5).contains(before), (0...5).contains(after)
            {
                camera.evidenceClip = EvidenceClip(before: before, after: after)
            } else {
                report(fields, "evidence_clip", "must be [BEFORE, AFTER]: seconds of clip before and after a crossing, "
                    + "each from 0 to 5 ([0, 0] keeps no clip), got \(Self.describe(node))")
            }
        }
        if let node = fields["privacy_masks"] {
            camera.privacyMasks = readPrivacyMasks(node, path: fields.path("privacy_masks"))
        }
        if let traffic = fields["traffic"] {
            camera.traffic = readTraffic(traffic, path: fields.path("traffic"))
        }
        if let source {
            checkKindSpecificKeys(fields, source: source, camera: &camera)
        }
        if let node = fields["faces"] { camera.faces = readFaces(node, path: fields.path("faces")) }
        if let node = fields["events"] { camera.events = readCameraEvents(node, path: fields.path("events")) }
        reserved += readReserved(fields, Self.reservedCameraKeys)
        guard let id, source != nil else { return (id, nil) }
        camera.id = id
        return (id, camera)
    }

    /// Refuses keys that mean nothing for this kind of source, and fills in the file rate.
    private mutating func checkKindSpecificKeys(
        _ fields: MappingFields, source: SourceSpec, camera: inout CameraConfiguration
    ) {
        let kind = source.kind
        let isRTSPS = source.url?.lowercased().hasPrefix("rtsps://") ?? false
        if fields["ca"] != nil, !isRTSPS {
            report(fields, "ca", "'ca' applies to rtsps:// cameras only (the certificates that vouch for the camera)")
        }
        // Checked here as well as at the camera's open, so that --check-config says it: a device, a FIFO or a
        // directory is never a certificate file.
        if isRTSPS, let ca = camera.tlsCAFile, let problem = Self.certificateFileProblem(ca) {
            report(fields, "ca", problem)
        }
        if isRTSPS, camera.transport == .udp {
            report(fields, "transport", "an rtsps:// camera carries its video inside the TLS connection; "
                + "'transport: udp' would send it in the clear: remove it")
        }
        if !kind.isNetwork {
            for key in ["transport", "password_file"] where fields[key] != nil {
                report(fields, key, "'\(key)' applies to rtsp:// cameras only")
            }
        } else if camera.passwordFile != nil {
            let info = CredentialRedaction.userInfo(ofURL: source.url ?? "")
            if info?.password != nil {
                report(fields, "password_file", "the URL already holds a password; give it in one place only "
                    + "(rtsp://USER@HOST/… with password_file)")
            } else if (info?.user ?? "").isEmpty {
                report(fields, "password_file", "password_file needs the user in the URL: rtsp://USER@HOST/…")
            }
        }
        if !kind.isDecodedBySource, fields["hwaccel"] != nil {
            report(fields, "hwaccel", "'hwaccel' applies to video: files and rtsp:// cameras only")
        }
        if kind.isFile {
            for key in ["width", "height"] where fields[key] != nil {
                report(fields, key, "'\(key)' applies to v4l2 cameras only; a \(kind) file sets its own frame size")
            }
            if camera.loop && source.isStandardInput {
                report(fields, "loop", "standard input cannot be looped; remove 'loop' or read from a file")
            }
        } else {
            for key in ["loop", "replay"] where fields[key] != nil {
                report(fields, key, "'\(key)' applies to file sources only, not to a \(kind) camera")
            }
            if kind.isNetwork {
                for key in ["width", "height"] where fields[key] != nil {
                    report(fields, key, "'\(key)' applies to v4l2 cameras only; a network camera sets its own "
                        + "frame size (use 'processing_width')")
                }
            }
        }
        if kind == .avi || kind == .y4m || kind.isDecodedBySource, fields["fps"] != nil {
            let what = kind.isNetwork ? "network cameras send" : "\(kind) files record"
            report(fields, "fps", "\(what) their own frame rate; 'fps' applies to v4l2, mjpeg and "
                + "jpegdir sources (use 'process_fps' to process fewer frames)")
        }
        if kind.needsFileRate && camera.fps == nil && fields["fps"] == nil {
            camera.fps = SourceSpec.defaultFootageFPS
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

    /// Parses `KIND:PATH` (see `SourceSpec`); returns the source when valid. Files are not opened here: a camera
    /// may be plugged in after the configuration is checked.
    private mutating func checkSource(_ source: String, _ fields: MappingFields) -> SourceSpec? {
        do {
            return try SourceSpec(parsing: source)
        } catch {
            report(fields, "source", error.description)
            return nil
        }
    }
}

extension ConfigReader {
    /// Why `path` cannot be a PEM certificate file (not a regular file, or over 1 MiB); nil when it may be, or
    /// when it does not exist yet (the camera's open says so then).
    static func certificateFileProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return "\(path) is not a regular file (a PEM file of at most 1 MiB)"
        }
        guard info.st_size <= 1 << 20 else { return "\(path) is larger than 1 MiB (a PEM file of at most 1 MiB)" }
        return nil
    }
}
