/// A dlib DNN read from a model file: its layers in execution order (input first) and its loss.
///
/// Built only from what the file says (no architecture is assumed). One gap in dlib's format:
/// tag numbers are C++ template parameters and are not written to the file, so `tag`, `skip` and
/// `add_prev` records carry no number, and tag and skip records are indistinguishable (both are a
/// bare version 1 framing). The reader recovers them with dlib's residual idioms, in execution order:
/// a bare framing right after a tag is a `skip` back to the tag opened before that one (dlib's
/// `skip1<tag2<…tag1<…>>>` downsampling block); any other bare framing opens a tag numbered with the
/// smallest number not in use; `add_prev` consumes the most recently opened tag. The wiring is then
/// checked by channel and shape inference; an input that fits no rule throws `ModelLoadError`.
/// Note that dlib adds tensors of different sizes (`add_prev`: the larger size in each dimension,
/// the smaller input zero-extended): dlib's face ResNet adds a 3×3 map to a 4×4 one twice.
///
/// Networks read: `loss_metric` over the layer kinds in `DlibLayer` — what dlib's face recognition
/// ResNet uses. Other layer kinds throw `ModelLoadError(.unknownTag)` naming the tag met.
public struct DlibNetwork: Sendable {
    /// The loss layer.
    public let loss: DlibLoss
    /// Layers in execution order; `layers[0]` is the input layer.
    public let layers: [DlibLayer]

    init(loss: DlibLoss, layers: [DlibLayer]) {
        self.loss = loss
        self.layers = layers
    }

    /// Reads a network from the bytes of a dlib `.dat` file.
    public init(bytes: [UInt8]) throws(ModelLoadError) {
        var reader = DlibNetworkReader(bytes: bytes)
        self = try reader.read()
    }

    /// Reads a network from a dlib `.dat` file.
    public init(contentsOfFile path: String) throws(ModelLoadError) {
        try self.init(bytes: ModelFile.read(path))
    }

    /// The input layer's description.
    public var input: DlibInput {
        guard case .input(let input) = layers[0] else { preconditionFailure("a network starts with its input") }
        return input
    }

    /// Number of learned values in all layers.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Number of layers of each kind, keyed by `DlibLayer.name` with tag numbers removed.
    public var layerCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for layer in layers {
            let key = String(layer.name.prefix { !$0.isNumber })
            counts[key, default: 0] += 1
        }
        return counts
    }

    /// The output shape of every layer for one `rows`×`cols` RGB image (index i = output of layer i).
    ///
    /// Throws `ModelLoadError(.malformed)` naming the layer when shapes do not fit together
    /// (a kernel larger than its padded input, an fc layer whose input size differs, mis-wired tags).
    public func activationShapes(rows: Int, cols: Int) throws(ModelLoadError) -> [ActivationShape] {
        try DlibShapeInference.shapes(of: layers, rows: rows, cols: cols)
    }

    /// Operations for one `rows`×`cols` image: multiply-adds of convolutions and fc layers (`flops` is
    /// twice that, the usual published figure) and the element-wise rest.
    public func operationCounts(rows: Int, cols: Int) throws(ModelLoadError) -> DlibOperationCounts {
        try DlibShapeInference.operationCounts(of: layers, rows: rows, cols: cols)
    }

    /// One line per layer, output first as dlib prints a network (`layer<0> loss_metric …`).
    public var summary: String {
        var lines: [String] = []
        switch loss {
        case .metric(let margin, let threshold):
            lines.append("layer<0>\tloss_metric (margin=\(margin), distance_threshold=\(threshold))")
        }
        for (position, layer) in layers.reversed().enumerated() {
            lines.append("layer<\(position + 1)>\t" + Self.describe(layer))
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ layer: DlibLayer) -> String {
        switch layer {
        case .input(let input):
            var text = "\(input.tag)(\(input.meanRed),\(input.meanGreen),\(input.meanBlue))"
            if let rows = input.rows, let cols = input.cols { text += " nr=\(rows) nc=\(cols)" }
            return text
        case .conv(let c):
            return "con\t (num_filters=\(c.filters), nr=\(c.kernelRows), nc=\(c.kernelCols), stride_y=\(c.strideY), "
                + "stride_x=\(c.strideX), padding_y=\(c.padY), padding_x=\(c.padX))"
        case .maxPool(let p), .avgPool(let p):
            return "\(layer.name) (nr=\(p.rows), nc=\(p.cols), stride_y=\(p.strideY), stride_x=\(p.strideX), "
                + "padding_y=\(p.padY), padding_x=\(p.padX))"
        case .fc(let f):
            return "fc\t (num_outputs=\(f.outputs))" + (f.biases.isEmpty ? " (no bias)" : "")
        default:
            return layer.name
        }
    }
}
