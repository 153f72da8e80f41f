/// A decoded frame as the stages see it: luma always, RGB when a stage asked for colour.
public struct Frame: Sendable {
    /// Camera identifier from the configuration.
    public var camera: String
    public var seq: UInt64
    public var monotonicNanos: UInt64
    public var wallNanos: Int64
    public var pts: Double
    /// Luma plane at processing size.
    public var gray: Image
    /// Colour at processing size; nil when no stage needs colour.
    public var rgb: Image?
    /// Size of the picture as captured, before any DCT scaling: stages map their coordinates
    /// back to source pixels with it.
    public var sourceWidth: Int
    public var sourceHeight: Int

    public init(camera: String, seq: UInt64, monotonicNanos: UInt64, wallNanos: Int64, pts: Double,
                gray: Image, rgb: Image?, sourceWidth: Int, sourceHeight: Int) {
        precondition(gray.channels == 1, "gray plane must have one channel")
        precondition(rgb.map { $0.channels == 3 && $0.width == gray.width && $0.height == gray.height } ?? true,
                     "rgb must be 3-channel and the size of the gray plane")
        self.camera = camera
        self.seq = seq
        self.monotonicNanos = monotonicNanos
        self.wallNanos = wallNanos
        self.pts = pts
        self.gray = gray
        self.rgb = rgb
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
    }

    /// Factor from processing coordinates to source coordinates (≥ 1).
    public var scaleToSource: Double { Double(sourceWidth) / Double(max(gray.width, 1)) }
}
