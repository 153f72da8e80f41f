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

/// `sightline-bench raw`: converting one uncompressed camera frame (YUYV, NV12, I420) to the luma and RGB planes the
/// stages see, per frame — what a raw webcam or a Y4M replay costs before any stage runs.
struct Raw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw",
        abstract: "Time raw frame conversion (RawConversion) per frame on a seeded frame.")

    @Option(help: "yuyv, nv12 or i420.")
    var format = "yuyv"

    @Option var width = 640
    @Option var height = 480

    @Option(help: "Box reduction: 1, 2, 4 or 8.")
    var scale = 1

    @Flag(help: "Luma only (no RGB plane).")
    var gray = false

    @Option(help: "Seconds to spend.")
    var seconds = 1.0

    @Flag(help: "One JSON object.")
    var json = false

    func validate() throws {
        guard [1, 2, 4, 8].contains(scale) else { throw ValidationError("--scale must be 1, 2, 4 or 8") }
        guard PixelFormat(rawValue: format) != nil else { throw ValidationError("unknown --format \(format)") }
        guard width > 0, height > 0, width <= 8192, height <= 8192 else { throw ValidationError("bad size") }
    }

    func run() throws {
        let pixelFormat = PixelFormat(rawValue: format)!
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<pixelFormat.frameByteCount(width: width, height: height)).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(16 + (state >> 40) % 220)
        }
        var checksum = 0
        var runs = 0
        var best = UInt64.max
        let wallStart = Clocks.monotonicNanos(), cpuStart = Clocks.threadCPUNanos()
        while Clocks.monotonicNanos() - wallStart < UInt64(seconds * 1e9) || runs < 5 {
            let t0 = Clocks.threadCPUNanos()
            let (luma, rgb) = try RawConversion.convert(bytes, format: pixelFormat, width: width, height: height,
                                                        scale: scale, color: !gray)
            best = min(best, Clocks.threadCPUNanos() - t0)
            checksum &+= Int(luma.pixels[runs % luma.pixels.count]) &+ Int(rgb?.pixels[runs % 97] ?? 0)
            runs += 1
        }
        let cpu = Double(Clocks.threadCPUNanos() - cpuStart) / Double(runs)
        let outWidth = max(width / scale, 1), outHeight = max(height / scale, 1)
        if json {
            print("{\"format\":\"\(format)\",\"width\":\(outWidth),\"height\":\(outHeight),\"scale\":\(scale),"
                + "\"gray\":\(gray),\"runs\":\(runs),\"mean_us\":\(cpu / 1e3),\"best_us\":\(Double(best) / 1e3),"
                + "\"checksum\":\(checksum)}")
        } else {
            print("\(format) \(width)x\(height) 1/\(scale)\(gray ? " gray" : " luma+RGB")  "
                + String(format: "mean %.1f µs  best %.1f µs  (%d runs, thread CPU time)", cpu / 1e3,
                         Double(best) / 1e3, runs))
        }
    }
}
