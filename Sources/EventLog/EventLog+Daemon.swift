import SightlineCore

/// What the daemon needs to turn pipelines' detections into signed events and to keep the log
/// healthy (checkpoints on time, retention, the disk-budget alarm).
extension EventLog {
    /// Emits a stage's detection: its camera, type and body, with `frame_seq` and the frame's presentation
    /// time `pts` (seconds on the source's own timeline, three decimals, when the frame had one) added to the
    /// body, and the frame's wall-clock time as the event time. Evidence must already be redacted.
    @discardableResult
    public func emit(_ detection: Detection, evidence: [EvidenceBlob] = []) throws(SpoolError) -> Event {
        var body = detection.body
        if body["frame_seq"] == nil { body["frame_seq"] = .int(Int64(truncatingIfNeeded: detection.frameSeq)) }
        if body["pts"] == nil, let pts = detection.pts, pts.isFinite, abs(pts) < 1e12 {
            body["pts"] = .double((pts * 1000).rounded() / 1000)
        }
        return try emit(
            camera: detection.camera, type: detection.type.rawValue, body: body, evidence: evidence,
            wallNanos: detection.wallNanos)
    }

    /// Runs until cancelled: every `intervalSeconds`, signs a checkpoint when one is due by time and
    /// enforces retention and the disk budget. A failure is logged (an error once, then every 60th round
    /// while it lasts, and a notice when it clears) and retried next round.
    public func maintain(intervalSeconds: Double = 10) async {
        var checkpointFailures = 0
        var retentionFailures = 0
        while !Task.isCancelled {
            do {
                try checkpointIfDue()
                report(recovered: "checkpoint", after: &checkpointFailures)
            } catch {
                report(failure: error, of: "checkpoint", count: &checkpointFailures)
            }
            do {
                try enforceRetention()
                report(recovered: "retention", after: &retentionFailures)
            } catch {
                report(failure: error, of: "retention", count: &retentionFailures)
            }
            try? await Task.sleep(for: .seconds(intervalSeconds))
        }
    }

    private func report(failure error: SpoolError, of task: String, count: inout Int) {
        if count % 60 == 0 {
            logger.error("event log \(task) failed; retrying", metadata: ["error": "\(error)",
                                                                         "consecutive_failures": "\(count + 1)"])
        }
        count += 1
    }

    private func report(recovered task: String, after failures: inout Int) {
        guard failures > 0 else { return }
        logger.notice("event log \(task) works again", metadata: ["failed_rounds": "\(failures)"])
        failures = 0
    }
}
