import Imaging
import SightlineCore

/// Blurs every face in a piece of footage, frame by frame, into JPEG frames (a Motion JPEG stream when they are
/// written back to back): what `sightline faces blur-video` runs.
///
/// Each frame goes through a `TrackedFaceRedactor`, so a face the detector misses in some frames stays blurred
/// at its tracked place. A frame that cannot be decoded cannot be blurred either: the run stops there with
/// `FootageBlurError.undecodableFrame` rather than drop or pass it silently. A source that yields no frame at
/// all is `FootageBlurError.noFrames`. Not thread-safe (one run at a time); the redactor keeps its tracks
/// between runs, so use a fresh one per piece of footage.
public struct FootageBlur {
    /// What a run did.
    public struct Summary: Sendable, Equatable {
        /// Frames read, blurred and written.
        public var frames = 0
        /// Faces the detector found, over all frames.
        public var detectedFaces = 0
        /// Face boxes blurred, over all frames (detected and tracked).
        public var blurredBoxes = 0
        /// Boxes blurred in frames where the detector found fewer faces than were tracked: faces kept by the
        /// tracker through a detector miss.
        public var trackedOnlyBoxes = 0
        /// The source's counters at the end (frames the container parser skipped as corrupt, junk bytes).
        public var sourceStats = SourceStats()

        public init() {}
    }

    public let redactor: TrackedFaceRedactor
    /// JPEG quality of the written frames (1–100).
    public let quality: Int

    public init(redactor: TrackedFaceRedactor, quality: Int = 85) {
        precondition((1...100).contains(quality), "JPEG quality must be 1…100")
        self.redactor = redactor
        self.quality = quality
    }

    /// Reads the open `source` to its end and hands each frame, faces blurred and JPEG-encoded, to `write` in
    /// order. Frames are decoded in colour at full size.
    ///
    /// Throws `FootageBlurError` for an empty source or an undecodable frame, and passes on the errors of
    /// `source.next()` (e.g. `CaptureError`) and of `write`.
    public func run(_ source: any FrameSource, write: ([UInt8]) throws -> Void) throws -> Summary {
        let decoder = FrameDecoder(camera: source.description, options: .init(color: true))
        var summary = Summary()
        while let captured = try source.next() {
            let frame: Frame
            do {
                frame = try decoder.decode(captured)
            } catch {
                throw FootageBlurError.undecodableFrame(source: source.description, index: summary.frames,
                                                        reason: error.description)
            }
            try write(try blur(frame, counting: &summary))
        }
        summary.sourceStats = source.stats
        guard summary.frames > 0 else {
            throw FootageBlurError.noFrames(source: source.description, stats: source.stats)
        }
        return summary
    }

    /// Blurs every face of one frame (tracked across detector misses) and JPEG-encodes it, counting into
    /// `summary`: the step `run` and the daemon's pipeline (`sightline faces blur-video`) take per frame.
    public func blur(_ frame: Frame, counting summary: inout Summary) throws -> [UInt8] {
        let seen = redactor.observe(frame)
        let detected = seen.detections?.count ?? 0
        summary.detectedFaces += detected
        summary.blurredBoxes += seen.blurBoxes.count
        summary.trackedOnlyBoxes += max(seen.blurBoxes.count - detected, 0)
        let jpeg = try JPEGEncoder.encode(try redactor.redact(frame), quality: quality)
        summary.frames += 1
        return jpeg
    }
}
