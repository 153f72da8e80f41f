/// An 8-bit image with interleaved channels (1 = luma, 3 = RGB), rows packed without padding.
///
/// A value type with copy-on-write storage: frames can be handed between tasks freely.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Interleaved channels per pixel: 1 (gray) or 3 (RGB).
    public let channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3), "bad image shape")
        precondition(pixels.count == width * height * channels, "pixel count does not match shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A zero-filled image.
    public init(width: Int, height: Int, channels: Int) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// Bytes per row.
    public var stride: Int { width * channels }

    public subscript(x: Int, y: Int, channel: Int = 0) -> UInt8 {
        get { pixels[(y * width + x) * channels + channel] }
        set { pixels[(y * width + x) * channels + channel] = newValue }
    }
}
