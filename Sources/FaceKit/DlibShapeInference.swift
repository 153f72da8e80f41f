/// Propagates activation shapes through a layer list with dlib's size rules, and counts operations.
///
/// Convolution and pooling: out = 1 + (in + 2·pad − window) / stride (a 0 pooling window = whole
/// input). add_prev: the larger size in each dimension. fc: `inputs` must equal the flattened input.
enum DlibShapeInference {
    private static func fail(_ index: Int, _ layer: DlibLayer, _ detail: String) -> ModelLoadError {
        ModelLoadError(.malformed, offset: 0, layerIndex: index, tag: layer.name, detail: detail)
    }

    /// Checks that channel counts agree from layer to layer (what can be checked without an image size).
    static func checkChannels(of layers: [DlibLayer]) throws(ModelLoadError) {
        var channels = 3
        var tagged: [Int: Int] = [:]
        for (index, layer) in layers.enumerated() {
            switch layer {
            case .conv(let conv):
                guard conv.inputChannels == channels else {
                    throw fail(index, layer,
                               "convolution expects \(conv.inputChannels) input channels, gets \(channels)")
                }
                channels = conv.filters
            case .affine(let affine):
                guard affine.perElement || affine.gamma.count == channels else {
                    throw fail(index, layer, "affine has \(affine.gamma.count) channels, gets \(channels)")
                }
            case .tag(let id): tagged[id] = channels
            case .skip(let id): channels = tagged[id] ?? channels
            case .addPrev(let id): channels = max(channels, tagged[id] ?? channels)
            case .fc(let fc): channels = fc.outputs
            case .input, .relu, .maxPool, .avgPool: break
            }
        }
    }

    static func shapes(of layers: [DlibLayer], rows: Int, cols: Int) throws(ModelLoadError) -> [ActivationShape] {
        var result: [ActivationShape] = []
        result.reserveCapacity(layers.count)
        var current = ActivationShape(channels: 3, rows: rows, cols: cols)
        var tagged: [Int: ActivationShape] = [:]
        for (index, layer) in layers.enumerated() {
            switch layer {
            case .input(let input):
                if let needRows = input.rows, let needCols = input.cols, needRows != rows || needCols != cols {
                    throw fail(index, layer, "input needs \(needRows)×\(needCols), given \(rows)×\(cols)")
                }
            case .conv(let c):
                guard c.inputChannels == current.channels,
                      current.rows + 2 * c.padY >= c.kernelRows, current.cols + 2 * c.padX >= c.kernelCols
                else { throw fail(index, layer, "convolution \(c.inputChannels)×\(c.kernelRows)×\(c.kernelCols) "
                                      + "does not fit input \(current)") }
                current = ActivationShape(channels: c.filters,
                                          rows: 1 + (current.rows + 2 * c.padY - c.kernelRows) / c.strideY,
                                          cols: 1 + (current.cols + 2 * c.padX - c.kernelCols) / c.strideX)
            case .affine(let a):
                let expected = a.perElement ? current.count : current.channels
                guard a.gamma.count == expected else {
                    throw fail(index, layer, "affine has \(a.gamma.count) values for input \(current)")
                }
            case .relu:
                break
            case .maxPool(let p), .avgPool(let p):
                let windowRows = p.rows == 0 ? current.rows : p.rows
                let windowCols = p.cols == 0 ? current.cols : p.cols
                guard current.rows + 2 * p.padY >= windowRows, current.cols + 2 * p.padX >= windowCols else {
                    throw fail(index, layer, "pooling window \(windowRows)×\(windowCols) larger than input \(current)")
                }
                current.rows = 1 + (current.rows + 2 * p.padY - windowRows) / p.strideY
                current.cols = 1 + (current.cols + 2 * p.padX - windowCols) / p.strideX
            case .tag(let id):
                tagged[id] = current
            case .skip(let id):
                guard let shape = tagged[id] else { throw fail(index, layer, "skip to tag\(id), which is not set") }
                current = shape
            case .addPrev(let id):
                guard let other = tagged[id] else { throw fail(index, layer, "add_prev of tag\(id), which is not set") }
                // dlib adds tensors of different sizes (the face ResNet adds 3×3 to 4×4 maps).
                current = ActivationShape(channels: max(current.channels, other.channels),
                                          rows: max(current.rows, other.rows), cols: max(current.cols, other.cols))
            case .fc(let fc):
                guard fc.inputs == current.count else {
                    throw fail(index, layer, "fc expects \(fc.inputs) inputs, gets \(current) = \(current.count)")
                }
                current = ActivationShape(channels: fc.outputs, rows: 1, cols: 1)
            }
            // Sizes come from a model file: keep every activation's element count checked and bounded.
            let (area, areaOverflow) = current.rows.multipliedReportingOverflow(by: current.cols)
            let (elements, overflow) = area.multipliedReportingOverflow(by: current.channels)
            guard !areaOverflow, !overflow, elements <= Int(Int32.max) else {
                throw fail(index, layer, "activation \(current.channels)×\(current.rows)×\(current.cols) is too large")
            }
            result.append(current)
        }
        return result
    }

    static func operationCounts(of layers: [DlibLayer], rows: Int, cols: Int)
        throws(ModelLoadError) -> DlibOperationCounts
    {
        let shapes = try shapes(of: layers, rows: rows, cols: cols)
        var counts = DlibOperationCounts()
        for (index, layer) in layers.enumerated() {
            let out = shapes[index]
            switch layer {
            case .input:
                counts.elementwise += 2 * out.count
            case .conv(let c):
                counts.multiplyAdds += out.count * c.inputChannels * c.kernelRows * c.kernelCols
                counts.elementwise += (c.biases.isEmpty ? 0 : out.count) + (c.fusedReLU ? out.count : 0)
            case .fc(let fc):
                counts.multiplyAdds += fc.inputs * fc.outputs
                counts.elementwise += fc.biases.count
            case .affine:
                counts.elementwise += 2 * out.count
            case .relu, .addPrev:
                counts.elementwise += out.count
            case .maxPool(let p), .avgPool(let p):
                let input = index > 0 ? shapes[index - 1] : out
                let window = (p.rows == 0 ? input.rows : p.rows) * (p.cols == 0 ? input.cols : p.cols)
                counts.elementwise += out.count * window
            case .tag, .skip:
                break
            }
        }
        return counts
    }
}

/// Operation counts of a network for one image.
public struct DlibOperationCounts: Sendable, Equatable {
    /// Multiply-adds of the convolutions and fully connected layers.
    public var multiplyAdds = 0
    /// Everything else, one per arithmetic operation: bias adds, affine (2 per element), relu,
    /// add_prev, pooling (one per window element), input normalisation (2 per element).
    public var elementwise = 0

    /// The usual published figure: 2 FLOPs per multiply-add, convolutions and fc only.
    public var flops: Int { 2 * multiplyAdds }
}
