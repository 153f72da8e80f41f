import SightlineCore

/// An incremental, I/O-free reader of one recorded-footage container (raw MJPEG, AVI, Y4M).
///
/// The caller pushes bytes in with `write(maxCount:_:)` (or `append`), pulls frames with
/// `nextFrame()` until it returns nil, pushes more, and calls `finish()` at end of input. Parsers
/// never allocate more than about `maxFrameBytes` plus one read for pending data, so hostile
/// input cannot make them grow without bound; they are what the fuzz target exercises.
public protocol FootageParser {
    /// Short name used in source specs and descriptions (`mjpeg`, `avi`, `y4m`).
    static var formatName: String { get }

    /// A parser that refuses frames larger than `maxFrameBytes`.
    init(maxFrameBytes: Int)

    /// Frames per second the container declares, or nil when it carries no timing (raw MJPEG).
    var frameRate: Double? { get }
    /// Frames recognisably broken in the container (no end, truncated chunk, too large).
    var corruptFrames: UInt64 { get }
    /// Bytes skipped while looking for the next frame.
    var skippedBytes: UInt64 { get }

    /// Lets `body` write up to `maxCount` bytes of input into the parser's buffer; returns the
    /// count written. Used to `read(2)` without an intermediate copy.
    mutating func write<E: Error>(maxCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Int)
        throws(E) -> Int

    /// The next complete frame among the bytes written so far, or nil when more input is needed
    /// (or, after `finish()`, when the stream is exhausted).
    mutating func nextFrame() throws(FootageFormatError) -> FootageFrame?

    /// Declares the end of input: a frame still pending is counted corrupt and dropped.
    mutating func finish()
}

extension FootageParser {
    /// Appends a copy of `bytes` to the input.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        _ = write(maxCount: bytes.count) { (dst: UnsafeMutableRawBufferPointer) -> Int in
            dst.copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Appends a copy of `bytes` to the input.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }
}

/// One frame out of a container parser.
public struct FootageFrame: Sendable, Equatable {
    /// Position of the frame on the container's timeline, from 0: its pts is `index / frameRate`.
    /// AVI "drop" chunks (empty video chunks) take a slot without producing a frame.
    public var index: Int
    public var payload: CapturedFrame.Payload

    public init(index: Int, payload: CapturedFrame.Payload) {
        self.index = index
        self.payload = payload
    }
}

/// The container is not of the expected format, in a way no resynchronisation can repair
/// (bad magic, unsupported colour space or codec). Sources turn it into `CaptureError.badFormat`.
public struct FootageFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong, for the operator.
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
