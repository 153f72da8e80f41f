import Logging
import SightlineCore
import Synchronization

/// A camera read through V4L2 memory-mapped streaming (libv4l2), one frame per `next()`.
///
/// `open()` resolves the path (stable `/dev/v4l/by-id/…` links included), checks the node can
/// capture and stream, negotiates format, size and rate (see `V4L2Configuration`), maps the
/// driver's buffers and starts streaming. `next()` waits for a filled buffer, copies it out,
/// gives it straight back to the driver and stamps the frame; it throws `deviceLost` when the
/// camera is unplugged and `stalled` when nothing arrives for `deviceTimeout`.
///
/// `open`, `next` and `close` belong to one capture thread; `interrupt()` may come from any.
public final class V4L2Source: FrameSource, InterruptibleSource, @unchecked Sendable {
    /// What the driver agreed to, known after `open()`.
    public struct Negotiated: Sendable, Equatable {
        /// The node actually opened, after following symlinks.
        public var devicePath: String
        public var fourcc: V4L2FourCC
        public var width: Int
        public var height: Int
        /// Bytes per row of raw formats, as the driver pads them (0 for JPEG).
        public var bytesPerLine: Int
        /// Frame interval the driver reported, nil when it does not say.
        public var frameInterval: V4L2Fraction?
        /// Buffers the driver granted.
        public var bufferCount: Int
    }

    /// The path as configured (possibly a symlink).
    public let path: String
    public let configuration: V4L2Configuration
    public var description: String { "v4l2:\(path)" }
    public private(set) var stats = SourceStats()
    public internal(set) var negotiated: Negotiated?

    let system: any V4L2System
    var logger: Logger
    private let monotonicNow: @Sendable () -> UInt64
    private let wallNow: @Sendable () -> Int64
    private let interrupted = Atomic<Bool>(false)

    var device: V4L2Device?
    var mappings: [(address: UnsafeMutableRawPointer, length: Int)] = []
    var buffersRequested = false
    var streaming = false

    private var seq: UInt64 = 0
    private var lastDriverSequence: UInt32?
    private var firstFrameNanos: UInt64?
    /// Monotonic time of the last delivered frame (or of STREAMON): the stall timer's origin.
    private var lastProgressNanos: UInt64 = 0

    /// - Parameters:
    ///   - path: device node or symlink, e.g. `/dev/video0` or `/dev/v4l/by-id/usb-…-video-index0`.
    ///   - system: the syscall layer; tests pass a fake device.
    ///   - monotonicNow, wallNow: clocks in nanoseconds; tests pass the fake device's clock.
    public init(path: String, configuration: V4L2Configuration = V4L2Configuration(),
                logger: Logger = Logger(label: "sightline.capture.v4l2"),
                system: any V4L2System = LibV4L2System.shared,
                monotonicNow: @escaping @Sendable () -> UInt64 = { Clocks.monotonicNanos() },
                wallNow: @escaping @Sendable () -> Int64 = { Clocks.wallNanos() }) {
        self.path = path
        self.configuration = configuration
        self.system = system
        self.monotonicNow = monotonicNow
        self.wallNow = wallNow
        self.logger = logger
        self.logger[metadataKey: "camera"] = "\(path)"
    }

    deinit { close() }

    /// Opens and starts streaming. Throws `cannotOpen` (missing, busy, no permission),
    /// `unsupported` (not a streaming capture node, no usable format, too few buffers),
    /// `deviceLost` or `system`. On failure everything acquired so far is released.
    public func open() throws {
        guard device == nil else { return }
        interrupted.store(false, ordering: .relaxed)
        do {
            try openAndNegotiate()
            try startStreaming()
        } catch {
            close()
            throw error
        }
        lastProgressNanos = monotonicNow()
        lastDriverSequence = nil
    }

    /// Blocks until a frame arrives. Nil after `interrupt()` or `close()`.
    public func next() throws -> CapturedFrame? {
        guard let device, let negotiated else { return nil }
        let timeoutNanos = configuration.deviceTimeout.v4l2Nanoseconds
        let sliceMillis = Int32(clamping: max(configuration.pollInterval.v4l2Nanoseconds / 1_000_000, 1))
        while true {
            if interrupted.load(ordering: .relaxed) { return nil }
            let waited = monotonicNow() &- lastProgressNanos
            if waited >= timeoutNanos, waited < UInt64.max / 2 {
                let seconds = Double(timeoutNanos) / 1e9
                logger.warning("no frame for \(seconds) s")
                throw CaptureError.stalled(path: path, seconds: seconds)
            }
            let remainingMillis = Int32(clamping: (timeoutNanos &- waited &+ 999_999) / 1_000_000)
            do {
                guard try device.waitReadable(timeoutMillis: min(sliceMillis, max(remainingMillis, 1))) else {
                    continue
                }
                let buffer = try device.dequeueBuffer()
                if let frame = try take(buffer, from: device, format: negotiated) { return frame }
            } catch where error.errno == .wouldBlock {
                continue  // poll woke us but the buffer went to nobody (or POLLERR without an error)
            } catch {
                if error.errno.meansDeviceLost { logger.error("camera went away: \(error)") }
                throw error.captureError(path: path)
            }
        }
    }

    /// Makes a blocked or later `next()` return nil within `pollInterval`. Thread-safe.
    public func interrupt() {
        interrupted.store(true, ordering: .relaxed)
    }

    /// Stops streaming and releases buffers and descriptor: `VIDIOC_STREAMOFF`, `munmap` of
    /// each buffer, `VIDIOC_REQBUFS` 0, `close`. Errors are logged, never thrown (after an
    /// unplug every call fails). Safe to call more than once.
    public func close() {
        guard let device else { return }
        if streaming {
            streaming = false
            do { try device.streamOff() } catch { logger.debug("ignoring \(error) while closing") }
        }
        for mapping in mappings {
            do { try device.unmap(mapping.address, length: mapping.length) } catch {
                logger.debug("ignoring \(error) while closing")
            }
        }
        mappings = []
        if buffersRequested {
            buffersRequested = false
            do { _ = try device.requestBuffers(0) } catch { logger.debug("ignoring \(error) while closing") }
        }
        device.close()
        self.device = nil
        negotiated = nil
    }

    /// Copies a dequeued buffer out, re-queues it at once, and stamps the frame. Nil (and
    /// counted as corrupt) when the driver flagged the buffer or it is too short for its format.
    private func take(_ buffer: V4L2DequeuedBuffer, from device: V4L2Device, format: Negotiated)
        throws(V4L2CallError) -> CapturedFrame?
    {
        guard mappings.indices.contains(buffer.index) else {
            throw V4L2CallError(call: "VIDIOC_DQBUF (buffer \(buffer.index) of \(mappings.count))",
                                errno: .invalidArgument)
        }
        let mapping = mappings[buffer.index]
        let payload = buffer.hasError ? nil : Self.payload(
            from: UnsafeRawBufferPointer(start: mapping.address, count: min(buffer.bytesUsed, mapping.length)),
            format: format)
        try device.queueBuffer(buffer.index)

        if let last = lastDriverSequence {
            let step = buffer.sequence &- last
            if step > 1, step < 1 << 31 { stats.lost += UInt64(step - 1) }
        }
        lastDriverSequence = buffer.sequence
        guard let payload else {
            stats.corrupt += 1
            return nil
        }

        let now = monotonicNow()
        let stamped = buffer.hasMonotonicTimestamp && buffer.timestampNanos > 0 && buffer.timestampNanos <= now
        let monotonic = stamped ? buffer.timestampNanos : now
        let wall = wallNow() - Int64(now - monotonic)
        let first = firstFrameNanos ?? monotonic
        firstFrameNanos = first
        seq += 1
        stats.frames += 1
        lastProgressNanos = now
        return CapturedFrame(seq: seq, monotonicNanos: monotonic, wallNanos: wall,
                             pts: monotonic > first ? Double(monotonic - first) / 1e9 : 0, payload: payload)
    }
}
