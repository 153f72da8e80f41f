import NeuralKernels

/// A `DlibNetwork` compiled for one input size into a flat list of kernel calls over numbered tensor slots.
///
/// Built once at load: convolution weights are repacked for the GEMM (`PackedConvolution`), and the layers that
/// follow a convolution are fused into its epilogue when they are consecutive in execution order — `affine`
/// (per channel), then `add_prev` when the tagged tensor has exactly the convolution's output shape, then
/// `relu`. Everything else runs as its own kernel: dlib's zero-extending `add_prev` of mismatched shapes, pooling
/// (a 0 window means the whole input, resolved here), per-element affine, fc (weights permuted from dlib's CHW
/// flattening to HWC when the input is not 1×1). Tag, skip and add_prev are wired as the reader resolved them.
///
/// Slots are assigned by liveness, so a slot is reused as soon as the tensor it holds is dead; the number of
/// slots is what a run keeps allocated. Immutable and `Sendable`: threads share one program.
public struct EmbeddingProgram: Sendable {
    /// One kernel call.
    enum Operation: Sendable {
        /// 8-bit RGB chip → (pixel − mean) / 256 per channel, into `output`.
        case input(mean: [Float], output: Int)
        case conv(PackedConvolution, input: Int, residual: Int?, output: Int)
        /// Per channel, or per element (parameters already in HWC order) when `perElement`.
        case affine(scale: [Float], shift: [Float], perElement: Bool, input: Int, output: Int)
        case relu(input: Int, output: Int)
        case maxPool(PoolingWindow, input: Int, output: Int)
        case avgPool(PoolingWindow, input: Int, output: Int)
        case globalAveragePool(input: Int, output: Int)
        case add(Int, Int, relu: Bool, output: Int)
        case fc(FullyConnected, bias: [Float], input: Int, output: Int)
    }

    /// A resolved pooling window (no 0 = whole-input sizes left).
    struct PoolingWindow: Sendable {
        var rows, cols, strideY, strideX, padY, padX: Int
    }

    /// One step: its kernel call, the dlib layers it stands for (indices into `DlibNetwork.layers`), the
    /// multiply-adds it performs and the shape of what it writes, for one chip.
    struct Step: Sendable {
        var operation: Operation
        var layers: ClosedRange<Int>
        var label: String
        var multiplyAdds: Int
        var outputShape: ActivationShape
    }

    /// A batch runs chip by chip up to the first step after which every live tensor is at most this many floats
    /// per chip (32 KB: dlib's face ResNet from its 8×8 stage on), then all chips together. Early layers have
    /// large activations and few weights, so they stay in cache best one chip at a time; late layers have
    /// small activations and megabytes of weights, which a batch loads once for all its chips.
    static let batchedFromFloats = 8192

    /// Chip rows the program was compiled for.
    public let rows: Int
    /// Chip columns the program was compiled for.
    public let cols: Int
    /// Length of the output vector (128 for dlib's face ResNet).
    public let outputLength: Int
    /// Multiply-adds per chip (convolutions and fc).
    public let multiplyAdds: Int
    let steps: [Step]
    let slotCount: Int
    let outputSlot: Int
    /// Steps before this index run one chip at a time in a batch; the rest run on the whole batch.
    let batchedFrom: Int
    /// Slots live across `batchedFrom`, with their floats per chip there.
    let boundarySlots: [(slot: Int, shape: ActivationShape)]

    /// Compiles `network` for `rows`×`cols` chips (the sized input's size when the network has one).
    ///
    /// Throws `ModelLoadError(.malformed)` naming the layer when shapes do not fit together.
    public init(network: DlibNetwork, rows: Int? = nil, cols: Int? = nil) throws(ModelLoadError) {
        let rows = rows ?? network.input.rows ?? 150
        let cols = cols ?? network.input.cols ?? 150
        let shapes = try network.activationShapes(rows: rows, cols: cols)
        var builder = EmbeddingProgramBuilder(layers: network.layers, shapes: shapes, rows: rows, cols: cols)
        try builder.build()
        let (steps, slotCount, outputSlot) = builder.allocateSlots()
        self.rows = rows
        self.cols = cols
        self.steps = steps
        self.slotCount = slotCount
        self.outputSlot = outputSlot
        (batchedFrom, boundarySlots) = EmbeddingProgramBuilder.batchBoundary(steps, outputSlot: outputSlot)
        self.outputLength = shapes.last.map { $0.count } ?? 0
        self.multiplyAdds = steps.reduce(0) { $0 + $1.multiplyAdds }
    }

    /// Number of kernel calls per chip after fusion.
    public var stepCount: Int { steps.count }

    /// Tensor slots a run keeps (each grows to the largest tensor it ever holds).
    public var slots: Int { slotCount }

    /// One line per step: the dlib layers it covers and what it does.
    public var stepLabels: [String] { steps.map(\.label) }
}
