import SightlineCore

/// What the daemon needs to turn pipelines' detections into signed events and to keep the log
/// healthy (checkpoints on time, retention, the disk-budget alarm).
extension EventLog {
    /// Emits a stage's detection: its camera, type and body, with `frame_seq` added to the body and
    /// the frame's wall-clock time as the event time. Evidence must already be redacted.
    @discardableResult
    public func emit(_ detection: Detection, evidence: [EvidenceBlob] = []) throws(SpoolError) -> Event {
        var body = detection.body
        if body["frame_seq"] == nil { body["frame_seq"] = .int(Int64(truncatingIfNeeded: detection.frameSeq)) }
        return try emit(
            camera: detection.camera, type: detection.type.rawValue, body: body, evidence: evidence,
            wallNanos: detection.wallNanos)
    }

    /// Runs until cancelled: every `intervalSeconds`, signs a checkpoint when one is due by time and
    /// enforces retention and the disk budget. Failures are logged by the calls and retried next round.
    public func maintain(intervalSeconds: Double = 10) async {
        while !Task.isCancelled {
            _ = try? checkpointIfDue()
            _ = try? enforceRetention()
            try? await Task.sleep(for: .seconds(intervalSeconds))
        }
    }
}
