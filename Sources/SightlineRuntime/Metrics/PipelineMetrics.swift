import Metrics
import SightlineCore
import Synchronization

/// The swift-metrics handles of one camera pipeline, created once (label lookups are not free).
///
/// Names follow Prometheus conventions; every series carries the `camera` dimension.
final class PipelineMetrics: Sendable {
    let captured: Counter
    let decoded: Counter
    let dropped: Counter
    let corrupt: Counter
    let skipped: Counter
    let online: Gauge
    let decode: Metrics.Timer
    let stageTimers: [Metrics.Timer]
    private let camera: String
    private let detectionCounters = Mutex<[DetectionType: Counter]>([:])

    init(camera: String, stages: [String]) {
        self.camera = camera
        let dims = [("camera", camera)]
        captured = Counter(label: "sightline_frames_captured_total", dimensions: dims)
        decoded = Counter(label: "sightline_frames_decoded_total", dimensions: dims)
        dropped = Counter(label: "sightline_frames_dropped_total", dimensions: dims)
        corrupt = Counter(label: "sightline_frames_corrupt_total", dimensions: dims)
        skipped = Counter(label: "sightline_frames_skipped_total", dimensions: dims)
        online = Gauge(label: "sightline_camera_online", dimensions: dims)
        decode = Metrics.Timer(label: "sightline_decode_seconds", dimensions: dims, preferredDisplayUnit: .seconds)
        stageTimers = stages.map {
            Metrics.Timer(label: "sightline_stage_seconds", dimensions: dims + [("stage", $0)],
                          preferredDisplayUnit: .seconds)
        }
    }

    func detection(type: DetectionType) -> Counter {
        detectionCounters.withLock { counters in
            if let counter = counters[type] { return counter }
            let counter = Counter(label: "sightline_detections_total",
                                  dimensions: [("camera", camera), ("type", type.rawValue)])
            counters[type] = counter
            return counter
        }
    }
}
