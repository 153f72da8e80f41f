/// One layer of a dlib network, as described by a model file (a description, not a runtime).
///
/// Layers are listed in execution order, input first. Tag, skip and add-prev layers carry the tag
/// numbers that the reader recovered (see `DlibNetwork` for how: dlib files do not store them).
public enum DlibLayer: Sendable, Equatable {
    /// The input layer: how 8-bit RGB pixels become the first tensor.
    case input(DlibInput)
    /// A 2-D convolution.
    case conv(DlibConvolution)
    /// A per-channel affine transform `gamma · x + beta` (dlib's inference form of batch norm).
    case affine(DlibAffine)
    /// `max(0, x)`.
    case relu
    /// Max pooling.
    case maxPool(DlibPooling)
    /// Average pooling (window 0×0 = the whole input, dlib's `avg_pool_everything`).
    case avgPool(DlibPooling)
    /// Adds the output of the layer marked `tag(n)` to the current tensor (shapes may differ: the
    /// result takes the larger size in each dimension and the smaller input is zero-extended).
    case addPrev(tag: Int)
    /// Marks the current tensor as `tag n` (the tensor passes through unchanged).
    case tag(Int)
    /// Replaces the current tensor by the one marked `tag n`.
    case skip(Int)
    /// A fully connected layer.
    case fc(DlibFullyConnected)

    /// A short name, as dlib prints it (`con`, `affine`, `relu`, `max_pool`, `avg_pool`, `add_prev1`, …).
    public var name: String {
        switch self {
        case .input(let input): input.tag
        case .conv: "con"
        case .affine: "affine"
        case .relu: "relu"
        case .maxPool: "max_pool"
        case .avgPool: "avg_pool"
        case .addPrev(let tag): "add_prev\(tag)"
        case .tag(let tag): "tag\(tag)"
        case .skip(let tag): "skip\(tag)"
        case .fc: "fc"
        }
    }

    /// Number of learned values (weights, biases, gamma, beta).
    public var parameterCount: Int {
        switch self {
        case .conv(let conv): conv.weights.count + conv.biases.count
        case .affine(let affine): affine.gamma.count + affine.beta.count
        case .fc(let fc): fc.weights.count + fc.biases.count
        default: 0
        }
    }
}

/// dlib `input_rgb_image` / `input_rgb_image_sized<NR,NC>`: channel value = (pixel − mean) / 256.
public struct DlibInput: Sendable, Equatable {
    /// The record tag met (`input_rgb_image_sized` or `input_rgb_image`).
    public var tag: String
    /// Mean of the red, green and blue channels subtracted from each pixel (0…255 scale).
    public var meanRed: Float
    public var meanGreen: Float
    public var meanBlue: Float
    /// Rows and columns a sized input requires; nil for an unsized input.
    public var rows: Int?
    public var cols: Int?
}

/// dlib `con_`: `filters` output channels, kernel `kernelRows`×`kernelCols`, zero padding.
public struct DlibConvolution: Sendable, Equatable {
    public var filters: Int
    /// Input channels (k of the filter tensor).
    public var inputChannels: Int
    public var kernelRows: Int
    public var kernelCols: Int
    public var strideY: Int
    public var strideX: Int
    public var padY: Int
    public var padX: Int
    /// Weights in dlib order [filter][inputChannel][row][col], `filters·inputChannels·kernelRows·kernelCols` values.
    public var weights: [Float]
    /// One bias per filter, or empty when the layer has none.
    public var biases: [Float]
    /// A ReLU fused into the convolution (dlib `con_6` `use_relu`).
    public var fusedReLU: Bool
}

/// dlib `affine_` (or a `bn_` record folded into one at load): y = gamma[c] · x + beta[c].
public struct DlibAffine: Sendable, Equatable {
    /// Per channel in conv mode; per element (channels·rows·cols) in fc mode.
    public var gamma: [Float]
    public var beta: [Float]
    /// dlib `FC_MODE` (per element) rather than `CONV_MODE` (per channel).
    public var perElement: Bool
}

/// dlib `max_pool_` / `avg_pool_` geometry. A 0 window size means the whole input in that direction.
public struct DlibPooling: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var strideY: Int
    public var strideX: Int
    public var padY: Int
    public var padX: Int
}

/// dlib `fc_`: out = in · W (+ b), with the input flattened to `inputs` values.
public struct DlibFullyConnected: Sendable, Equatable {
    public var outputs: Int
    public var inputs: Int
    /// Weights row-major [input][output] (`inputs × outputs`), as dlib stores them.
    public var weights: [Float]
    /// One bias per output, or empty (`fc_no_bias`).
    public var biases: [Float]
}

/// The loss layer on top of a dlib network (it defines how outputs are read, not a computation).
public enum DlibLoss: Sendable, Equatable {
    /// dlib `loss_metric_`: the output is an embedding; two faces match below `distanceThreshold`.
    case metric(margin: Float, distanceThreshold: Float)
}
