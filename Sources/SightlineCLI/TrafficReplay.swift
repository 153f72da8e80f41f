import Foundation
import Imaging
import SightlineCore
import Traffic

/// Runs a camera's traffic stage over recorded footage as fast as it goes.
struct TrafficReplay {
    struct Result {
        var detections: [Detection] = []
        var frames = 0
        /// Thread CPU time spent in the traffic stage alone, and in decoding plus the stage.
        var stageNanos: UInt64 = 0
        var totalNanos: UInt64 = 0
        var width = 0
        var height = 0

        var stageFPS: Double { stageNanos == 0 ? 0 : Double(frames) / (Double(stageNanos) / 1e9) }
        var totalFPS: Double { totalNanos == 0 ? 0 : Double(frames) / (Double(totalNanos) / 1e9) }
    }

    let camera: CameraFile
    let cameraID: String
    var trace = false

    func run(_ source: FrameSource, each: (Detection) -> Void = { _ in }) throws -> Result {
        guard let configuration = camera.traffic else { return Result() }
        let stage = TrafficStage(configuration: configuration)
        if trace {
            stage.trace = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        }
        let decoder = FrameDecoder(camera: cameraID, options: .init(minWidth: camera.processingWidth, color: true))
        var result = Result()
        try source.open()
        defer { source.close() }
        while let captured = try source.next() {
            let t0 = Clocks.threadCPUNanos()
            let frame = try decoder.decode(captured)
            let t1 = Clocks.threadCPUNanos()
            let detections = try stage.process(frame)
            let t2 = Clocks.threadCPUNanos()
            result.stageNanos += t2 - t1
            result.totalNanos += t2 - t0
            result.frames += 1
            result.width = frame.gray.width
            result.height = frame.gray.height
            for detection in detections {
                result.detections.append(detection)
                each(detection)
            }
        }
        return result
    }
}
