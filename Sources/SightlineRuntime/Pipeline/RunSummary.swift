import Foundation
import Logging
import SightlineCore

/// What the daemon did, per camera, at exit: logged, and written as JSON for scripts and the demo.
struct RunSummary: Codable, Sendable {
    struct Camera: Codable, Sendable {
        var camera: String
        /// 1 for the configuration the daemon started with, +1 for each reload applied (a camera that
        /// ran under two configurations has one entry for each).
        var generation: Int
        var captured: UInt64
        var decoded: UInt64
        var dropped: UInt64
        var corrupt: UInt64
        var skipped: UInt64
        var detections: UInt64
        /// Decoded frames per second of wall time while this pipeline processed (its processing thread's
        /// lifetime; the run's when that is unknown): with several cameras, each one's own rate.
        var fps: Double
        var meanDecodeMilliseconds: Double
        var meanStageMilliseconds: Double
        /// Faces the face stage reported (one per face per detector frame); nil without a face stage.
        var facesDetected: UInt64?
        /// Face boxes blurred in the evidence images kept (crossing frames, match images); nil without a face stage.
        var facesBlurred: UInt64?

        enum CodingKeys: String, CodingKey {
            case camera, generation, captured, decoded, dropped, corrupt, skipped, detections, fps
            case meanDecodeMilliseconds = "mean_decode_ms"
            case meanStageMilliseconds = "mean_stage_ms"
            case facesDetected = "faces_detected"
            case facesBlurred = "faces_blurred"
        }
    }

    var wallSeconds: Double
    var cameras: [Camera]

    enum CodingKeys: String, CodingKey {
        case wallSeconds = "wall_seconds"
        case cameras
    }

    init(runs: [PipelinesService.Run], wallSeconds: Double) {
        self.wallSeconds = wallSeconds
        let now = Clocks.monotonicNanos()
        cameras = runs.map { run in
            let pipeline = run.pipeline
            let c = pipeline.counters.snapshot
            let decoded = max(Double(c.decoded), 1)
            let seconds = c.processingWallNanos > 0
                ? Double(c.processingWallNanos) / 1e9 : Double((run.endedNanos ?? now) &- run.startedNanos) / 1e9
            let faces = pipeline.stages.lazy.compactMap { $0 as? FaceStage }.first
            return Camera(camera: pipeline.settings.camera, generation: run.generation, captured: c.captured,
                          decoded: c.decoded, dropped: c.dropped, corrupt: c.corrupt, skipped: c.skipped,
                          detections: c.detections, fps: seconds > 0 ? Double(c.decoded) / seconds : 0,
                          meanDecodeMilliseconds: Double(c.decodeNanos) / decoded / 1e6,
                          meanStageMilliseconds: Double(c.stageNanos) / decoded / 1e6,
                          facesDetected: faces?.facesReported, facesBlurred: faces?.facesBlurred)
        }
    }

    func log(to logger: Logger) {
        for c in cameras {
            var metadata: Logger.Metadata = [
                "camera": "\(c.camera)", "generation": "\(c.generation)", "captured": "\(c.captured)",
                "decoded": "\(c.decoded)",
                "dropped": "\(c.dropped)", "corrupt": "\(c.corrupt)", "skipped": "\(c.skipped)",
                "detections": "\(c.detections)", "fps": "\(String(format: "%.1f", c.fps))",
                "decode_ms": "\(String(format: "%.2f", c.meanDecodeMilliseconds))",
            ]
            if let detected = c.facesDetected, let blurred = c.facesBlurred {
                metadata["faces_detected"] = "\(detected)"
                metadata["faces_blurred"] = "\(blurred)"
            }
            logger.info("camera summary", metadata: metadata)
        }
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
