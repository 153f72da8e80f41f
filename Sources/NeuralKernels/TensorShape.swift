/// The shape of one activation tensor: height × width × channels, stored HWC (channels fastest).
///
/// The layout is channel-last because a convolution then becomes an implicit GEMM whose rows are output pixels
/// and whose columns are output channels: one kernel row (`kernelWidth × channels` floats) is contiguous in
/// memory, so im2col packing is a copy of runs; per-channel epilogues (affine, ReLU, residual) and pooling
/// vectorise across channels; and dlib's zero-extending residual add keeps the same index rules.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    /// Rows (pixels).
    public var height: Int
    /// Columns (pixels).
    public var width: Int
    /// Channels per pixel.
    public var channels: Int

    /// Creates a shape; all dimensions must be non-negative.
    public init(height: Int, width: Int, channels: Int) {
        precondition(height >= 0 && width >= 0 && channels >= 0, "negative tensor dimension")
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Number of floats.
    public var count: Int { height * width * channels }

    /// Number of pixels (`height × width`).
    public var pixels: Int { height * width }

    public var description: String { "\(height)x\(width)x\(channels)" }

    /// The shape of dlib's `add_prev` result: the maximum of each dimension.
    public static func residualUnion(_ a: TensorShape, _ b: TensorShape) -> TensorShape {
        TensorShape(height: max(a.height, b.height), width: max(a.width, b.width), channels: max(a.channels, b.channels))
    }
}
