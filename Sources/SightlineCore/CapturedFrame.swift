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
