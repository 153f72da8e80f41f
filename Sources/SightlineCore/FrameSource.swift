/// A producer of captured frames: a camera, a file, a pipe.
///
/// Sources are blocking and single-consumer: the daemon gives each camera its own capture
/// thread, so a slow device never stalls another camera or the processing side. `next()`
/// returns nil at the end of a finite source; live sources only end by throwing.
public protocol FrameSource: AnyObject {
    /// Human-readable description for logs, e.g. `mjpeg:/srv/clip.mjpeg`.
    var description: String { get }
    /// Counters of what the source skipped on its own (garbage bytes, broken containers).
    var stats: SourceStats { get }
    /// Opens the underlying device or file. Throws `CaptureError` when it cannot.
    func open() throws
    /// Blocks until the next frame is available. Nil at the end of the stream.
    func next() throws -> CapturedFrame?
    /// Releases the device or file. Safe to call more than once.
    func close()
}

/// What a source counted while reading.
public struct SourceStats: Sendable, Equatable {
    /// Frames delivered.
    public var frames: UInt64 = 0
    /// Frames that were recognisably broken in the container (a truncated chunk, a JPEG
    /// without an end) and skipped before decoding.
    public var corrupt: UInt64 = 0
    /// Bytes skipped between frames (junk between JPEGs, unknown chunks are not counted).
    public var skippedBytes: UInt64 = 0
    /// Frames the device reported lost (V4L2 sequence gaps).
    public var lost: UInt64 = 0

    public init() {}
}
