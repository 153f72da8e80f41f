import Imaging
import SightlineCore

/// Holds the previous frame and the crossings waiting for their "after" frame, and turns them into a
/// crossing's evidence: three redacted JPEG frames (before, at, after the report). Frames stay in process
/// memory and leave it only through the redactor, and only while the detection's consumer still wants them.
struct EvidenceBuffer {
    struct Finished {
        var evidence: PendingEvidence
        var frames: [Frame]
    }

    private var previous: Frame?
    private var waiting: [(evidence: PendingEvidence, frames: [Frame])] = []

    /// Takes this frame: completes the crossings reported on the last frame (those still wanted), and starts
    /// this frame's.
    mutating func advance(frame: Frame, crossings: [PendingEvidence]) -> [Finished] {
        let finished = waiting.filter { $0.evidence.isWanted }
            .map { Finished(evidence: $0.evidence, frames: $0.frames + [frame]) }
        waiting = crossings.map { ($0, [previous ?? frame, frame]) }
        previous = frame
        return finished
    }

    /// The stream ended: the crossings reported on the last frame complete with the frames they have (before, at).
    mutating func finish() -> [Finished] {
        let finished = waiting.filter { $0.evidence.isWanted }.map { Finished(evidence: $0.evidence, frames: $0.frames) }
        waiting = []
        previous = nil
        return finished
    }
}

/// JPEG quality of evidence frames: enough to read a scene, small enough to forward.
let evidenceJPEGQuality = 85
