import ArgumentParser
import Capture
import Foundation
import SightlineCore

/// `sightline-bench video FILE`: H.264/H.265 decoding through Sightline's FFmpeg shim on one thread, alone
/// (`--decode-only`) or the whole source path to luma at `--width` (decode, swscale once, deliver).
struct VideoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Time video decoding (FFmpeg's libraries through Sightline's shim) on one thread.")

    @Argument(help: "A video file.")
    var file: String

    @Option(help: "Processing width of the whole path; 0 keeps the full size.")
    var width = 640

    @Flag(name: .customLong("decode-only"), help: "Decode only: no conversion, no frame delivered.")
    var decodeOnly = false

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        var frames = 0
        let wallStart = Clocks.monotonicNanos(), cpuStart = Clocks.threadCPUNanos()
        if decodeOnly {
            let reader = FFmpegReader()
            try reader.open(url: "file:" + file, options: FFmpegReader.Options())
            while try reader.nextFrame() != nil { frames += 1 }
            reader.close()
        } else {
            let source = VideoSource(spec: .video(path: file),
                                     options: SourceOptions(pacing: .asFastAsPossible, processingWidth: width))
            try source.open()
            var checksum = 0
            while let frame = try source.next() {
                if case .decoded(let picture) = frame.payload { checksum &+= Int(picture.gray.pixels[frames % 64]) }
                frames += 1
            }
            source.close()
            if checksum == -1 { print("") }  // keeps the pixels alive to the optimiser
        }
        let wall = Double(Clocks.monotonicNanos() - wallStart) / 1e9
        let cpu = Double(Clocks.threadCPUNanos() - cpuStart) / 1e9
        if json {
            print("{\"frames\":\(frames),\"wall_s\":\(wall),\"cpu_s\":\(cpu),\"fps\":\(Double(frames) / cpu)}")
        } else {
            print(String(format: "%@: %d frames, %.1f fps (thread CPU), %.1f fps (wall)", file, frames,
                         Double(frames) / cpu, Double(frames) / wall))
        }
    }
}
