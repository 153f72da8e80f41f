import Synchronization

/// What one camera pipeline has done so far: read by the summary and `--json` status, written by
/// the capture and processing threads.
struct PipelineCounts: Sendable, Equatable {
    var captured: UInt64 = 0
    var decoded: UInt64 = 0
    /// Dropped by the bounded queue because processing fell behind.
    var dropped: UInt64 = 0
    /// Broken in the container or rejected by the decoder.
    var corrupt: UInt64 = 0
    /// Skipped before decoding to honour `process_fps`.
    var skipped: UInt64 = 0
    var detections: UInt64 = 0
    var decodeNanos: UInt64 = 0
    var stageNanos: UInt64 = 0
    /// `stageNanos` per stage name (`stats`, `faces`, `traffic`).
    var stageNanosByName: [String: UInt64] = [:]
    /// Size of the last decoded frame (the stages' processing size).
    var processingWidth = 0
    var processingHeight = 0
    var reconnects: UInt64 = 0
    /// Wall time the processing thread ran, set when it finishes (0 before).
    var processingWallNanos: UInt64 = 0
    var online = false
    /// Monotonic time the camera went offline; nil while online (or never seen).
    var offlineSince: UInt64?
    var firstFrameMonotonic: UInt64?
    var lastFrameMonotonic: UInt64?
    var lastProcessedMonotonic: UInt64?
}

/// Thread-safe holder of `PipelineCounts`.
final class PipelineCounters: Sendable {
    private let state = Mutex(PipelineCounts())

    func update(_ body: (inout PipelineCounts) -> Void) {
        state.withLock { body(&$0) }
    }

    var snapshot: PipelineCounts { state.withLock { $0 } }
}
