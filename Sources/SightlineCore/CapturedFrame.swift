/// What a capture source delivers: the still-encoded (or raw) picture plus its timing.
///
/// Decoding happens on the processing side of the bounded queue, so a frame dropped because
/// processing fell behind is never decoded.
public struct CapturedFrame: Sendable {
    public enum Payload: Sendable, Equatable {
        /// One complete JPEG (SOI … EOI), as MJPEG cameras and files carry them.
        case jpeg([UInt8])
        /// An uncompressed picture in a known layout.
        case raw(format: PixelFormat, width: Int, height: Int, bytes: [UInt8])
        /// A picture the source decoded itself, already at processing size: inter-coded video (H.264, H.265…)
        /// cannot skip a compressed frame, so such sources decode every frame and a dropped frame is a
        /// decoded one.
        case decoded(DecodedPicture)
    }

    /// Per-camera sequence number, starting at 1, increasing by one per frame the source read
    /// (whether or not it later decodes).
    public var seq: UInt64
    /// Monotonic capture time in nanoseconds (`CLOCK_MONOTONIC`): for intervals and rates.
    public var monotonicNanos: UInt64
    /// Wall-clock capture time in nanoseconds since the Unix epoch: for humans and events.
    public var wallNanos: Int64
    /// Presentation time in seconds on the source's own timeline (file position / fps for
    /// recorded footage, driver timestamp relative to the first frame for cameras).
    public var pts: Double
    public var payload: Payload

    public init(seq: UInt64, monotonicNanos: UInt64, wallNanos: Int64, pts: Double, payload: Payload) {
        self.seq = seq
        self.monotonicNanos = monotonicNanos
        self.wallNanos = wallNanos
        self.pts = pts
        self.payload = payload
    }
}

/// Luma (and colour, when asked for) of a frame a source decoded, at processing size.
public struct DecodedPicture: Sendable, Equatable {
    /// Luma, full range (0–255) as a JPEG decoder gives it.
    public var gray: Image
    /// RGB of the same size, when the source was asked for colour.
    public var rgb: Image?
    /// Size of the picture as the source has it (after any display rotation), before scaling.
    public var sourceWidth: Int
    public var sourceHeight: Int

    public init(gray: Image, rgb: Image?, sourceWidth: Int, sourceHeight: Int) {
        precondition(gray.channels == 1, "gray plane must have one channel")
        precondition(rgb.map { $0.channels == 3 && $0.width == gray.width && $0.height == gray.height } ?? true,
                     "rgb must be 3-channel and the size of the gray plane")
        self.gray = gray
        self.rgb = rgb
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
    }
}
