import SightlineCore

/// What a video file or network camera holds (`sightline probe video:PATH`, `sightline probe rtsp://…`):
/// the container, its duration, and each stream's codec, size, frame rate and duration. Reads the headers
/// only (and, for a live stream, the first packets FFmpeg needs to tell the sizes); decodes nothing.
public struct VideoProbe: Sendable, Codable, CustomStringConvertible {
    /// The source as given, credentials masked.
    public var source: String
    /// The container's name ("QuickTime / MOV", "RTSP input").
    public var format: String
    /// Seconds; nil when unknown (live streams).
    public var duration: Double?
    public var streams: [FFmpegReader.Stream]
    /// FFmpeg's first complaint while reading a local file's headers, such as why a stream's size is
    /// unknown ("Picture size 30000x30000 exceeds specified max pixel count"); nil when it had none.
    public var note: String?

    /// Opens `spec` (a `video:` or `rtsp://` source) with `options`' transport, timeout and password file.
    public init(spec: SourceSpec, options: SourceOptions = SourceOptions()) throws {
        precondition(spec.kind.isDecodedBySource, "VideoProbe reads video: and rtsp:// sources only")
        let setup = try VideoSource.readerSetup(spec, options: options)
        let url = setup.0
        var readerOptions = setup.1
        readerOptions.hardwareDecoding = .none
        let reader = FFmpegReader()
        defer { reader.close() }
        do {
            try reader.probe(url: url, options: readerOptions)
        } catch {
            throw VideoSource.captureError(error, spec: spec, timeout: options.deviceTimeoutSeconds)
        }
        source = spec.description
        format = reader.formatName
        duration = reader.duration
        streams = reader.streams
        note = reader.note
    }

    /// Whether a video stream's picture size is known: a local file's first frames decoded. When none is,
    /// the file gives no frames (`video:` refuses it).
    public var hasSizedVideo: Bool { streams.contains { $0.kind == .video && $0.width > 0 && $0.height > 0 } }

    public var description: String {
        var lines = ["\(source): \(format)" + (duration.map { ", " + Self.seconds($0) } ?? ", live")]
        for (index, stream) in streams.enumerated() {
            var line = "  #\(index) \(stream.kind.rawValue) \(stream.codec)"
            if stream.kind == .video {
                line += stream.width > 0 && stream.height > 0 ? " \(stream.width)x\(stream.height)" : " size unknown"
                if let fps = stream.framesPerSecond { line += " " + Self.rate(fps) + " fps" }
                if stream.rotation != 0 { line += " rotated \(stream.rotation)°" }
            }
            if let duration = stream.duration { line += " " + Self.seconds(duration) }
            lines.append(line)
        }
        if let note { lines.append("  FFmpeg: \(note)") }
        return lines.joined(separator: "\n")
    }

    private static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        return "\(millis / 1000).\(String(millis % 1000 + 1000).dropFirst()) s"
    }

    private static func rate(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        guard hundredths % 100 != 0 else { return "\(hundredths / 100)" }
        return "\(hundredths / 100).\(String(hundredths % 100 + 100).dropFirst())"
    }
}

/// Whether a network camera answers: its RTSP server opens the stream (DESCRIBE, SETUP, PLAY) within the
/// timeout. For `sightline doctor`.
public enum NetworkCameraCheck {
    public enum Outcome: Sendable, Equatable {
        /// The camera answered; `format` is FFmpeg's name of the input.
        case answered(format: String)
        /// No answer within the timeout.
        case timedOut(seconds: Double)
        /// The camera (or the network) refused; `message` holds no credential.
        case failed(reason: FFmpegReader.Failure.Reason?, message: String)
    }

    /// Opens `spec` (an `rtsp://` source) with `options`' transport and password file, waiting at most
    /// `seconds`.
    public static func check(_ spec: SourceSpec, options: SourceOptions = SourceOptions(), seconds: Double = 3)
        -> Outcome
    {
        precondition(spec.kind.isNetwork, "NetworkCameraCheck checks rtsp:// sources only")
        var setup: (url: String, options: FFmpegReader.Options)
        do {
            setup = try VideoSource.readerSetup(spec, options: options)
        } catch {
            return .failed(reason: nil, message: CredentialRedaction.redact("\(error)"))
        }
        setup.options.timeoutSeconds = seconds
        setup.options.hardwareDecoding = .none
        setup.options.headersOnly = true
        let (url, readerOptions) = setup
        let reader = FFmpegReader()
        defer { reader.close() }
        do {
            try reader.probe(url: url, options: readerOptions)
        } catch {
            if error.kind == .timeout { return .timedOut(seconds: seconds) }
            return .failed(reason: error.reason, message: error.message)
        }
        return .answered(format: reader.formatName)
    }
}
