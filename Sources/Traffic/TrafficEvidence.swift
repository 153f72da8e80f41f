import Imaging
import SightlineCore

/// The evidence of one reported crossing: three redacted frames (before, at, after), JPEG-encoded.
///
/// Only ever built from an `EvidenceRedactor`'s output; the stage keeps no evidence without one.
public struct TrafficEvidence: Sendable {
    /// The `traffic.red_light_crossing` detection the frames belong to.
    public var detection: Detection
    /// JPEG bytes of the frame before the report, the frame of the report and the one after.
    public var jpegFrames: [[UInt8]]
}

/// Holds the previous frame and the crossings waiting for their "after" frame. Frames stay in process
/// memory and leave it only through the redactor.
struct EvidenceBuffer {
    struct Finished {
        var detection: Detection
        var frames: [Frame]
    }

    private var previous: Frame?
    private var waiting: [(detection: Detection, frames: [Frame])] = []

    /// Takes this frame: completes the crossings reported on the last frame, and starts this frame's.
    mutating func advance(frame: Frame, crossings: [Detection]) -> [Finished] {
        let finished = waiting.map { Finished(detection: $0.detection, frames: $0.frames + [frame]) }
        waiting = crossings.map { ($0, [previous ?? frame, frame]) }
        previous = frame
        return finished
    }
}

enum JPEGEncoderBridge {
    static func encode(_ image: Image) throws -> [UInt8] {
        try JPEGEncoder.encode(image, quality: 85)
    }
}
