/// A 2-D convolution with its weights repacked once for the GEMM microkernel, plus a fused epilogue.
///
/// Computes, for HWC tensors, `relu?( conv(input) · scale + shift + residual? )` per output channel, where
/// `shift` already contains the convolution bias. Built from dlib-layout weights `[outC][inC][kh][kw]`;
/// fold a following `affine` (batch norm) layer with `fusingAffine` and a ReLU with `fusingReLU`.
/// Immutable and `Sendable`: one instance can serve many threads, each with its own `Workspace`.
public struct PackedConvolution: Sendable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels (filters).
    public let outChannels: Int
    /// Kernel rows.
    public let kernelHeight: Int
    /// Kernel columns.
    public let kernelWidth: Int
    /// Vertical stride.
    public let strideY: Int
    /// Horizontal stride.
    public let strideX: Int
    /// Zero rows added above and below.
    public let paddingY: Int
    /// Zero columns added left and right.
    public let paddingX: Int
    /// Whether a ReLU ends the epilogue.
    public private(set) var relu: Bool = false

    /// Weights as B panels: K = kh·kw·inC rows ordered (ky, kx, ic), outC columns padded to NR.
    let packedWeights: [Float]
    /// Per-output-channel multiplier and addend, padded to a multiple of NR.
    private(set) var scale: [Float]?
    private(set) var shift: [Float]

    /// dlib's default padding for `con_`, `max_pool_` and `avg_pool_`: half the window at stride 1, else 0.
    public static func dlibPadding(window: Int, stride: Int) -> Int { stride == 1 ? window / 2 : 0 }

    /// Repacks `weights` (dlib layout `[outC][inC][kh][kw]`) and `bias` (`outC` values or nil for none).
    public init(
        weights: [Float], bias: [Float]?, inChannels: Int, outChannels: Int,
        kernelHeight: Int, kernelWidth: Int, strideY: Int = 1, strideX: Int = 1, paddingY: Int, paddingX: Int
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelHeight > 0 && kernelWidth > 0, "empty convolution")
        precondition(strideY > 0 && strideX > 0 && paddingY >= 0 && paddingX >= 0, "bad stride or padding")
        precondition(weights.count == outChannels * inChannels * kernelHeight * kernelWidth,
                     "conv weights: \(weights.count) floats for \(outChannels)x\(inChannels)x\(kernelHeight)x\(kernelWidth)")
        precondition(bias == nil || bias!.count == outChannels, "conv bias must have \(outChannels) values")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.paddingY = paddingY
        self.paddingX = paddingX

        let k = kernelHeight * kernelWidth * inChannels
        // Transpose to the GEMM's B (K × outC, row-major, K ordered (ky, kx, ic)), then pack into panels.
        var b = [Float](repeating: 0, count: k * outChannels)
        for o in 0..<outChannels {
            for ic in 0..<inChannels {
                for ky in 0..<kernelHeight {
                    for kx in 0..<kernelWidth {
                        let row = (ky * kernelWidth + kx) * inChannels + ic
                        b[row * outChannels + o] = weights[((o * inChannels + ic) * kernelHeight + ky) * kernelWidth + kx]
                    }
                }
            }
        }
        var packed = [Float](repeating: 0, count: Packing.packedBCount(k: k, n: outChannels))
        b.withUnsafeBufferPointer { src in
            packed.withUnsafeMutableBufferPointer { dst in
                Packing.packB(src.baseAddress!, ldb: outChannels, k: k, n: outChannels, into: dst.baseAddress!)
            }
        }
        packedWeights = packed
        let padded = PackedConvolution.paddedCount(outChannels)
        var shift = [Float](repeating: 0, count: padded)
        if let bias { for o in 0..<outChannels { shift[o] = bias[o] } }
        self.shift = shift
        self.scale = nil
    }

    /// The convolution followed by `y = x · scale[c] + shift[c]` (dlib `affine`, or a folded batch norm).
    public func fusingAffine(scale newScale: [Float], shift newShift: [Float]) -> PackedConvolution {
        precondition(newScale.count == outChannels && newShift.count == outChannels, "affine needs \(outChannels) values")
        precondition(!relu, "fuse the affine before the ReLU")
        var copy = self
        var scale = [Float](repeating: 0, count: shift.count)
        for o in 0..<outChannels {
            let old = self.scale?[o] ?? 1
            scale[o] = old * newScale[o]
            copy.shift[o] = shift[o] * newScale[o] + newShift[o]
        }
        copy.scale = scale
        return copy
    }

    /// The convolution with a ReLU after its epilogue (after the residual, when one is given to `apply`).
    public func fusingReLU() -> PackedConvolution {
        var copy = self
        copy.relu = true
        return copy
    }

    /// Output shape for an input of `shape`, dlib's rule `1 + (in + 2·pad − kernel) / stride`.
    public func outputShape(for shape: TensorShape) -> TensorShape {
        precondition(shape.channels == inChannels, "conv expects \(inChannels) channels, got \(shape)")
        precondition(shape.height + 2 * paddingY >= kernelHeight && shape.width + 2 * paddingX >= kernelWidth,
                     "input \(shape) smaller than the \(kernelHeight)x\(kernelWidth) kernel")
        return TensorShape(height: 1 + (shape.height + 2 * paddingY - kernelHeight) / strideY,
                           width: 1 + (shape.width + 2 * paddingX - kernelWidth) / strideX,
                           channels: outChannels)
    }

    /// Multiply-adds for an input of `shape` (for GFLOP/s figures: FLOP = 2 × this).
    public func multiplyAdds(for shape: TensorShape) -> Int {
        outputShape(for: shape).count * kernelHeight * kernelWidth * inChannels
    }

    static func paddedCount(_ n: Int) -> Int { (n + KernelTarget.nr - 1) / KernelTarget.nr * KernelTarget.nr }
}
