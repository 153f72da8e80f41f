/// How a `V4L2Source` negotiates with its camera and when it gives up on it.
public struct V4L2Configuration: Sendable, Equatable {
    /// Requested frame width in pixels; the closest size the camera offers is used.
    public var width: Int
    /// Requested frame height in pixels.
    public var height: Int
    /// Requested frame rate; nil keeps the driver's default (usually its highest).
    public var framesPerSecond: Double?
    /// Pixel formats in order of preference; the first one the camera offers natively wins
    /// (formats libv4l2 only emulates in software come after all native ones).
    public var formatPreference: [V4L2FourCC]
    /// Memory-mapped buffers to ask for. Drivers may grant fewer; fewer than 2 is an error,
    /// because the driver could not fill one buffer while the source copies the other.
    public var bufferCount: Int
    /// No frame for this long means the camera stalled (`CaptureError.stalled`).
    public var deviceTimeout: Duration
    /// Longest single `poll` wait: how soon `interrupt()` is noticed.
    public var pollInterval: Duration

    public init(width: Int = 1280, height: Int = 720, framesPerSecond: Double? = nil,
                formatPreference: [V4L2FourCC] = V4L2FourCC.preferenceOrder, bufferCount: Int = 4,
                deviceTimeout: Duration = .seconds(10), pollInterval: Duration = .milliseconds(250)) {
        precondition(width > 0 && height > 0, "frame size must be positive")
        precondition(bufferCount >= 2, "at least two buffers are needed to stream")
        precondition(deviceTimeout > .zero && pollInterval > .zero, "timeouts must be positive")
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.formatPreference = formatPreference
        self.bufferCount = bufferCount
        self.deviceTimeout = deviceTimeout
        self.pollInterval = pollInterval
    }
}

extension Duration {
    /// Whole nanoseconds (negative durations are clamped to zero).
    var v4l2Nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
