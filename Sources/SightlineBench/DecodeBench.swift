import ArgumentParser
import Foundation
import Imaging
import SightlineCore

/// `sightline-bench decode FILE...`: JPEG decoding time per frame.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Time JPEG decoding (libjpeg-turbo through Sightline's decoder) per frame.")

    @Argument(help: "JPEG files.")
    var files: [String]

    @Option(help: "DCT scale denominator: 1, 2, 4 or 8.")
    var scale = 1

    @Flag(help: "Decode luma only.")
    var gray = false

    @Option(help: "Seconds to spend per file.")
    var seconds = 1.0

    @Flag(help: "One JSON object per file.")
    var json = false

    func validate() throws {
        guard [1, 2, 4, 8].contains(scale) else { throw ValidationError("--scale must be 1, 2, 4 or 8") }
    }

    func run() throws {
        let decoder = JPEGDecoder()
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            let bytes = [UInt8](data)
            var out = try decoder.decode(bytes, scale: scale, gray: gray)  // warm-up, and shape
            var runs = 0
            let wallStart = Clocks.monotonicNanos(), cpuStart = Clocks.threadCPUNanos()
            var best = UInt64.max
            while Clocks.monotonicNanos() - wallStart < UInt64(seconds * 1e9) || runs < 5 {
                let t0 = Clocks.threadCPUNanos()
                out = try decoder.decode(bytes, scale: scale, gray: gray)
                best = min(best, Clocks.threadCPUNanos() - t0)
                runs += 1
            }
            let cpu = Double(Clocks.threadCPUNanos() - cpuStart) / Double(runs)
            let line: String
            if json {
                line = "{\"file\":\"\(path)\",\"width\":\(out.image.width),\"height\":\(out.image.height),"
                    + "\"scale\":\(scale),\"gray\":\(gray),\"runs\":\(runs),\"mean_us\":\(cpu / 1e3),"
                    + "\"best_us\":\(Double(best) / 1e3)}"
            } else {
                line = "\(path): \(out.image.width)x\(out.image.height) 1/\(scale)\(gray ? " gray" : "")  "
                    + String(format: "mean %.1f µs  best %.1f µs  (%d runs, thread CPU time)",
                             cpu / 1e3, Double(best) / 1e3, runs)
            }
            print(line)
        }
    }
}
