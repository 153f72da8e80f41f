import NeuralKernels

/// Turns a dlib layer list into `EmbeddingProgram` steps: fusion over values first (every step writes a new
/// value), then slot assignment by liveness.
struct EmbeddingProgramBuilder {
    typealias Operation = EmbeddingProgram.Operation
    typealias Step = EmbeddingProgram.Step

    let layers: [DlibLayer]
    /// Output shape of every layer (dlib CHW order of dimensions; our tensors are HWC).
    let shapes: [ActivationShape]
    let rows: Int
    let cols: Int
    private(set) var steps: [Step] = []
    private var valueShapes: [ActivationShape] = []
    private var current = -1
    private var tags: [Int: Int] = [:]

    init(layers: [DlibLayer], shapes: [ActivationShape], rows: Int, cols: Int) {
        self.layers = layers
        self.shapes = shapes
        self.rows = rows
        self.cols = cols
    }

    private mutating func newValue(_ shape: ActivationShape) -> Int {
        valueShapes.append(shape)
        return valueShapes.count - 1
    }

    private func fail(_ index: Int, _ detail: String) -> ModelLoadError {
        ModelLoadError(.malformed, offset: 0, layerIndex: index, tag: layers[index].name, detail: detail)
    }

    private func layer(_ index: Int) -> DlibLayer? { index < layers.count ? layers[index] : nil }

    private mutating func emit(_ operation: Operation, _ layers: ClosedRange<Int>, _ label: String, macs: Int = 0) {
        let shape = valueShapes[Self.output(of: operation)]
        steps.append(Step(operation: operation, layers: layers, label: label, multiplyAdds: macs, outputShape: shape))
    }

    mutating func build() throws(ModelLoadError) {
        var index = 0
        while index < layers.count {
            let end: Int
            switch layers[index] {
            case .input(let input):
                guard index == 0 else { throw fail(index, "an input layer inside the network") }
                current = newValue(shapes[0])
                emit(.input(mean: [input.meanRed, input.meanGreen, input.meanBlue], output: current), 0...0,
                     "\(input.tag) \(shapes[0])")
                end = index
            case .conv(let conv):
                end = try convolution(conv, at: index)
            case .affine(let affine):
                try ensureInput(index)
                let shape = valueShapes[current]
                let output = newValue(shape)
                let perElement = affine.perElement
                let scale = perElement ? Self.chwToHWC(affine.gamma, shape) : affine.gamma
                let shift = perElement ? Self.chwToHWC(affine.beta, shape) : affine.beta
                emit(.affine(scale: scale, shift: shift, perElement: perElement, input: current, output: output),
                     index...index, "affine\(perElement ? " (per element)" : "") \(shape)")
                current = output
                end = index
            case .relu:
                try ensureInput(index)
                let output = newValue(valueShapes[current])
                emit(.relu(input: current, output: output), index...index, "relu \(valueShapes[current])")
                current = output
                end = index
            case .maxPool(let pooling), .avgPool(let pooling):
                try ensureInput(index)
                let input = valueShapes[current]
                let output = newValue(shapes[index])
                let window = EmbeddingProgram.PoolingWindow(
                    rows: pooling.rows == 0 ? input.rows : pooling.rows,
                    cols: pooling.cols == 0 ? input.cols : pooling.cols,
                    strideY: pooling.strideY, strideX: pooling.strideX, padY: pooling.padY, padX: pooling.padX)
                let label = "\(layers[index].name) \(window.rows)x\(window.cols)/\(window.strideY) "
                    + "\(input) → \(shapes[index])"
                if case .avgPool = layers[index], window.rows == input.rows, window.cols == input.cols,
                   window.padY == 0, window.padX == 0 {
                    emit(.globalAveragePool(input: current, output: output), index...index, label)
                } else if case .avgPool = layers[index] {
                    emit(.avgPool(window, input: current, output: output), index...index, label)
                } else {
                    emit(.maxPool(window, input: current, output: output), index...index, label)
                }
                current = output
                end = index
            case .tag(let id):
                try ensureInput(index)
                tags[id] = current
                end = index
            case .skip(let id):
                guard let value = tags[id] else { throw fail(index, "skip to tag\(id), which is not set") }
                current = value
                end = index
            case .addPrev(let id):
                guard let other = tags[id] else { throw fail(index, "add_prev of tag\(id), which is not set") }
                try ensureInput(index)
                var last = index
                var relu = false
                if case .relu = layer(index + 1) { relu = true; last += 1 }
                let output = newValue(shapes[last])
                emit(.add(current, other, relu: relu, output: output), index...last,
                     "add_prev\(id)\(relu ? "+relu" : "") \(valueShapes[current]) + \(valueShapes[other])")
                current = output
                end = last
            case .fc(let fc):
                end = try fullyConnected(fc, at: index)
            }
            index = end + 1
        }
        guard current >= 0 else { throw ModelLoadError(.malformed, offset: 0, detail: "network has no layers") }
    }

    private func ensureInput(_ index: Int) throws(ModelLoadError) {
        guard current >= 0 else { throw fail(index, "no input layer before this layer") }
    }

    /// A convolution with the affine, residual add and ReLU that follow it fused when they can be.
    private mutating func convolution(_ conv: DlibConvolution, at index: Int) throws(ModelLoadError) -> Int {
        try ensureInput(index)
        let input = valueShapes[current]
        guard input.channels == conv.inputChannels else {
            throw fail(index, "convolution expects \(conv.inputChannels) channels, gets \(input)")
        }
        var packed = PackedConvolution(
            weights: conv.weights, bias: conv.biases.isEmpty ? nil : conv.biases, inChannels: conv.inputChannels,
            outChannels: conv.filters, kernelHeight: conv.kernelRows, kernelWidth: conv.kernelCols,
            strideY: conv.strideY, strideX: conv.strideX, paddingY: conv.padY, paddingX: conv.padX)
        var end = index
        var residual: Int?
        var label = "con \(conv.inputChannels)→\(conv.filters) \(conv.kernelRows)x\(conv.kernelCols)/\(conv.strideY)"
        if conv.fusedReLU {
            packed = packed.fusingReLU()
            label += "+relu"
        } else {
            if case .affine(let affine) = layer(end + 1), !affine.perElement, affine.gamma.count == conv.filters {
                packed = packed.fusingAffine(scale: affine.gamma, shift: affine.beta)
                end += 1
                label += "+affine"
            }
            if case .addPrev(let id) = layer(end + 1), let tagged = tags[id], valueShapes[tagged] == shapes[end] {
                residual = tagged
                end += 1
                label += "+add_prev\(id)"
            }
            if case .relu = layer(end + 1) {
                packed = packed.fusingReLU()
                end += 1
                label += "+relu"
            }
        }
        let output = newValue(shapes[end])
        let macs = shapes[index].count * conv.inputChannels * conv.kernelRows * conv.kernelCols
        emit(.conv(packed, input: current, residual: residual, output: output), index...end,
             label + " \(input) → \(shapes[end])", macs: macs)
        current = output
        return end
    }

    /// An fc layer; dlib flattens its input in CHW order, so for a spatial input the weight rows are permuted.
    private mutating func fullyConnected(_ fc: DlibFullyConnected, at index: Int) throws(ModelLoadError) -> Int {
        try ensureInput(index)
        let input = valueShapes[current]
        guard input.count == fc.inputs else { throw fail(index, "fc expects \(fc.inputs) inputs, gets \(input)") }
        var weights = fc.weights
        if input.rows * input.cols != 1 {
            let plane = input.rows * input.cols
            for c in 0..<input.channels {
                for pixel in 0..<plane {
                    let from = (c * plane + pixel) * fc.outputs
                    let to = (pixel * input.channels + c) * fc.outputs
                    for o in 0..<fc.outputs { weights[to + o] = fc.weights[from + o] }
                }
            }
        }
        let output = newValue(shapes[index])
        emit(.fc(FullyConnected(weights: weights, inputs: fc.inputs, outputs: fc.outputs), bias: fc.biases,
                 input: current, output: output),
             index...index, "fc \(fc.inputs)→\(fc.outputs)", macs: fc.inputs * fc.outputs)
        current = output
        return index
    }

    /// Per-element parameters in dlib's CHW order, rearranged to HWC.
    static func chwToHWC(_ values: [Float], _ shape: ActivationShape) -> [Float] {
        let plane = shape.rows * shape.cols
        var result = values
        for c in 0..<shape.channels {
            for pixel in 0..<plane { result[pixel * shape.channels + c] = values[c * plane + pixel] }
        }
        return result
    }
}
