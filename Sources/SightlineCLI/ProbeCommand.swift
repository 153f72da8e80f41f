import ArgumentParser
import Capture
import Foundation
import SightlineCore
import SightlineTools

/// `sightline probe /dev/videoN`: what a camera offers (formats, sizes, frame rates); `sightline probe
/// video:PATH` and `sightline probe rtsp://…`: the streams of a recording or network camera.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "List what a V4L2 camera offers, or the streams of a video file or RTSP camera.",
        discussion: """
            SOURCE is a device node (/dev/video0, v4l2:/dev/video0, /dev/v4l/by-id/...), video:PATH \
            (MP4, MKV, MPEG-TS... through FFmpeg's libraries; video:- reads standard input) or an \
            rtsp:// / rtsps:// URL. Credentials in a URL are never printed.
            """)

    @Argument(help: "Device node, video:PATH or rtsp:// URL.")
    var source: String

    @Option(help: "RTSP transport: tcp or udp.")
    var transport: String = "tcp"

    @Option(help: "Seconds to wait for a network camera.")
    var timeout: Double = 5

    @Option(name: .customLong("password-file"), help: "File whose first line is the RTSP password of the URL's user.")
    var passwordFile: String?

    @Option(help: "rtsps:// only: PEM certificates that vouch for the camera (default: the system's trust store).")
    var ca: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if RTSPTransport(rawValue: transport) == nil { throw ValidationError("--transport must be tcp or udp") }
        if transport == "udp", source.lowercased().hasPrefix("rtsps://") {
            throw ValidationError("an rtsps:// camera carries its video inside the TLS connection: --transport udp "
                + "would send it in the clear")
        }
        if !(timeout > 0 && timeout <= 600) { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    func run() throws {
        if source.hasPrefix("/") || source.hasPrefix("v4l2:") {
            try probeCamera(source.hasPrefix("v4l2:") ? String(source.dropFirst(5)) : source)
            return
        }
        let spec: SourceSpec
        do {
            spec = try SourceSpec(parsing: source)
        } catch {
            throw CLIError("source: \(error)")
        }
        guard spec.kind.isDecodedBySource else {
            throw CLIError("probe reads V4L2 devices, video: files and rtsp:// cameras; \(spec.kind) files need none")
        }
        let probe: VideoProbe
        do {
            probe = try VideoProbe(spec: spec, options: SourceOptions(
                deviceTimeoutSeconds: timeout, transport: RTSPTransport(rawValue: transport) ?? .tcp,
                passwordFile: passwordFile, tlsCAFile: ca))
        } catch {
            throw CLIError(CredentialRedaction.redact("\(error)"))
        }
        try print(probe)
        // A local file whose first frames give no size gives no frames at all: a failure for a script.
        // A live stream may not have sent a key frame yet, so a camera's unknown size is only listed.
        if !spec.kind.isNetwork, !probe.hasSizedVideo {
            throw CLIError("no video stream whose frames decode" + (probe.note.map { " (FFmpeg: \($0))" } ?? ""))
        }
    }

    private func probeCamera(_ device: String) throws {
        let probe: V4L2Probe
        do {
            probe = try V4L2Probe(path: device)
        } catch {
            throw CLIError("\(error)")
        }
        try print(probe)
    }

    private func print<T: Encodable & CustomStringConvertible>(_ value: T) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            Swift.print(value.description)
        }
    }
}
