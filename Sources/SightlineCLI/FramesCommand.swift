import ArgumentParser
import Capture
import Foundation
import Imaging
import SightlineCore
import SightlineTools

/// `sightline frames SOURCE`: read any source, decode each frame, print one line per frame.
struct FramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Read a camera or recorded footage and print one line per frame, then a summary.",
        discussion: """
            SOURCE is v4l2:DEVICE, mjpeg:PATH, avi:PATH, jpegdir:DIR, y4m:PATH, video:PATH (MP4, MKV, \
            MPEG-TS… through FFmpeg's libraries), y4m:- / mjpeg:- / video:- for standard input, or an \
            rtsp:// URL. Recorded footage is read as fast as possible unless --realtime.
            """)

    @Argument(help: "The source, e.g. mjpeg:clip.mjpeg or v4l2:/dev/video0.")
    var source: String

    @Option(help: "Stop after N frames.")
    var count: Int?

    @Option(help: "Frame rate of footage without timing (JPEG directories, raw MJPEG); requested rate for cameras.")
    var fps: Double?

    @Option(help: "Camera picture size, WIDTHxHEIGHT.")
    var size: String?

    @Option(name: .customLong("min-width"),
            help: "Decode with DCT scaling to the smallest size at least this wide (video: and rtsp:// scale to it).")
    var minWidth = 0

    @Option(help: "RTSP transport: tcp or udp.")
    var transport: String = "tcp"

    @Option(help: "Hardware decoding for video: and rtsp://: none, auto or vaapi.")
    var hwaccel: String = "none"

    @Option(name: .customLong("password-file"), help: "File whose first line is the RTSP password of the URL's user.")
    var passwordFile: String?

    @Option(help: "rtsps:// only: PEM certificates that vouch for the camera (default: the system's trust store).")
    var ca: String?

    @Flag(help: "Decode colour as well as luma.")
    var color = false

    @Flag(help: "Replay recorded footage at its recorded speed.")
    var realtime = false

    @Flag(help: "One JSON object per frame and one for the summary.")
    var json = false

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let fps, !(fps > 0) { throw ValidationError("--fps must be positive") }
        if size != nil, parsedSize == nil { throw ValidationError("--size must look like 640x480") }
        if minWidth < 0 { throw ValidationError("--min-width must not be negative") }
        if RTSPTransport(rawValue: transport) == nil { throw ValidationError("--transport must be tcp or udp") }
        if transport == "udp", source.lowercased().hasPrefix("rtsps://") {
            throw ValidationError("an rtsps:// camera carries its video inside the TLS connection: --transport udp "
                + "would send it in the clear")
        }
        if HardwareDecoding(rawValue: hwaccel) == nil {
            throw ValidationError("--hwaccel must be none, auto or vaapi")
        }
    }

    private var parsedSize: (Int, Int)? {
        guard let parts = size?.lowercased().split(separator: "x"), parts.count == 2,
              let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    func run() throws {
        let options = SourceOptions(fps: fps, pacing: realtime ? .realtime : .asFastAsPossible,
                                    width: parsedSize?.0, height: parsedSize?.1, processingWidth: minWidth,
                                    color: color, transport: RTSPTransport(rawValue: transport) ?? .tcp,
                                    hardwareDecoding: HardwareDecoding(rawValue: hwaccel) ?? .none,
                                    passwordFile: passwordFile, tlsCAFile: ca)
        let frameSource: any FrameSource
        do {
            frameSource = try SourceFactory.make(source, options: options)
            try frameSource.open()
        } catch {
            throw CLIError("\(error)")
        }
        defer { frameSource.close() }
        let decoder = FrameDecoder(camera: "cli", options: .init(minWidth: minWidth, color: color))
        var decoded = 0, corrupt = 0
        let started = Clocks.monotonicNanos()
        var output = OutputBuffer()
        while count.map({ decoded + corrupt < $0 }) ?? true {
            let captured: CapturedFrame
            do {
                guard let next = try frameSource.next() else { break }
                captured = next
            } catch {
                output.flush()
                throw CLIError("\(error)")
            }
            let t0 = Clocks.monotonicNanos()
            do {
                let frame = try decoder.decode(captured)
                let micros = Double(Clocks.monotonicNanos() - t0) / 1e3
                decoded += 1
                if json {
                    output.line("{\"seq\":\(frame.seq),\"pts\":\(rounded(frame.pts, 6)),\"width\":\(frame.gray.width),"
                                + "\"height\":\(frame.gray.height),\"source_width\":\(frame.sourceWidth),"
                                + "\"source_height\":\(frame.sourceHeight),\"decode_us\":\(rounded(micros, 1))}")
                } else {
                    output.line(String(format: "seq %6llu  pts %10.3f  %4dx%-4d  decode %8.1f µs", frame.seq,
                                       frame.pts, frame.gray.width, frame.gray.height, micros))
                }
            } catch {
                corrupt += 1
                if json {
                    output.line("{\"seq\":\(captured.seq),\"pts\":\(rounded(captured.pts, 6)),\"corrupt\":true,"
                                + "\"error\":\(jsonString("\(error)"))}")
                } else {
                    output.line(String(format: "seq %6llu  pts %10.3f  corrupt: ", captured.seq, captured.pts)
                                + "\(error)")
                }
            }
        }
        let stats = frameSource.stats
        let seconds = Double(Clocks.monotonicNanos() - started) / 1e9
        let corruptTotal = UInt64(corrupt) + stats.corrupt
        if json {
            output.line("{\"summary\":{\"frames\":\(decoded),\"corrupt\":\(corruptTotal),\"dropped\":\(stats.lost),"
                        + "\"skipped_bytes\":\(stats.skippedBytes),\"seconds\":\(rounded(seconds, 3))}}")
        } else {
            output.line(String(format: "frames %d  corrupt %llu  dropped %llu  skipped bytes %llu  in %.2f s (%.1f fps)",
                               decoded, corruptTotal, stats.lost, stats.skippedBytes, seconds,
                               seconds > 0 ? Double(decoded) / seconds : 0))
        }
        output.flush()
    }

    private func rounded(_ value: Double, _ places: Int) -> String {
        String(format: "%.\(places)f", value)
    }
}

/// Buffered standard output that is flushed explicitly (stdout to a pipe is block-buffered and
/// would be lost on a crash), one `write(2)` per batch of lines.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
