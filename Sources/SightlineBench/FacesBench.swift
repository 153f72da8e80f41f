import ArgumentParser
import FaceKit
import Foundation
import SightlineCore
import SightlineTools

/// `sightline-bench faces IMAGE`: thread CPU time of the detector per frame, and of landmarks and chips per
/// face, for Benchmarks/faces (which times dlib on the same image in the same run).
struct FacesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces", abstract: "Time the face detector, landmarks and chips on an image.")

    @Argument(help: "Image (JPEG, PGM or PPM).")
    var image: String

    @Option(help: "Times to double the image before detecting.")
    var upsample = 0

    @Flag(help: "Detect on luma instead of RGB.")
    var gray = false

    @Option(help: "Seconds to spend on the detector.")
    var seconds = 2.0

    @Flag(help: "One JSON object.")
    var json = false

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let (detector, landmarker) = try modelOptions.detectorAndLandmarker()
        let picture = try loadImage(image, gray: gray)
        var faces = detector.detect(picture, upsample: upsample)
        var runs = 0
        let wallStart = Clocks.monotonicNanos(), cpuStart = Clocks.threadCPUNanos()
        var best = UInt64.max
        while Clocks.monotonicNanos() - wallStart < UInt64(seconds * 1e9) || runs < 3 {
            let t0 = Clocks.threadCPUNanos()
            faces = detector.detect(picture, upsample: upsample, adjustThreshold: Double(runs % 2) * 1e-9)
            best = min(best, Clocks.threadCPUNanos() - t0)
            runs += 1
        }
        let detectMs = Double(Clocks.threadCPUNanos() - cpuStart) / Double(runs) / 1e6
        var landmarkUs = 0.0, chipUs = 0.0
        if !faces.isEmpty {
            let repeats = 2000
            var points: [FacePoint] = []
            var t0 = Clocks.threadCPUNanos()
            for i in 0..<repeats { points = landmarker.landmarks(in: picture, box: faces[i % faces.count].box) }
            landmarkUs = Double(Clocks.threadCPUNanos() - t0) / Double(repeats) / 1e3
            let details = FaceChipDetails(landmarks: points)
            var checksum = 0
            t0 = Clocks.threadCPUNanos()
            for _ in 0..<repeats / 4 { checksum &+= Int(FaceChipExtractor.extract(picture, details: details).pixels[0]) }
            chipUs = Double(Clocks.threadCPUNanos() - t0) / Double(repeats / 4) / 1e3
            if checksum == -1 { print("") }
        }
        if json {
            print("{\"image\":\(jsonString(image)),\"width\":\(picture.width),\"height\":\(picture.height),"
                  + "\"upsample\":\(upsample),\"faces\":\(faces.count),\"runs\":\(runs),\"detect_ms\":\(detectMs),"
                  + "\"best_ms\":\(Double(best) / 1e6),\"landmarks_us\":\(landmarkUs),\"chip_us\":\(chipUs),"
                  + "\"target\":\"\(FaceEmbedder.kernelTarget)\"}")
        } else {
            print(String(format: "%@: %dx%d upsample %d: %d face(s); detector %.2f ms (best %.2f, %d runs); "
                         + "landmarks %.1f µs/face; chip %.1f µs/face (thread CPU time)", image, picture.width,
                         picture.height, upsample, faces.count, detectMs, Double(best) / 1e6, runs, landmarkUs, chipUs))
        }
    }
}
