@testable import FaceKit

/// A plain scalar forward pass over a `DlibNetwork`, following dlib's layer semantics, to check
/// the reader (weight layouts, tag recovery, add_prev sizes) against descriptors dlib computed.
/// Test-only and slow on purpose: the runtime embedder lives elsewhere.
enum ReferenceForward {
    struct Tensor {
        var shape: ActivationShape
        var values: [Float]

        init(_ shape: ActivationShape) {
            self.shape = shape
            values = [Float](repeating: 0, count: shape.count)
        }
    }

    /// Runs the network on one interleaved RGB chip of the input's size; returns the output vector.
    static func run(_ network: DlibNetwork, rgb: [UInt8], rows: Int, cols: Int) -> [Float] {
        var current = Tensor(ActivationShape(channels: 3, rows: rows, cols: cols))
        var tagged: [Int: Tensor] = [:]
        for layer in network.layers {
            switch layer {
            case .input(let input):
                let means = [input.meanRed, input.meanGreen, input.meanBlue]
                for channel in 0..<3 {
                    for pixel in 0..<rows * cols {
                        current.values[channel * rows * cols + pixel] =
                            (Float(rgb[pixel * 3 + channel]) - means[channel]) / 256
                    }
                }
            case .conv(let conv):
                current = convolve(current, conv)
                if conv.fusedReLU {
                    for index in current.values.indices { current.values[index] = max(0, current.values[index]) }
                }
            case .affine(let affine):
                let plane = current.shape.rows * current.shape.cols
                for index in current.values.indices {
                    let c = affine.perElement ? index : index / plane
                    current.values[index] = affine.gamma[c] * current.values[index] + affine.beta[c]
                }
            case .relu:
                for index in current.values.indices { current.values[index] = max(0, current.values[index]) }
            case .maxPool(let pooling):
                current = pool(current, pooling, average: false)
            case .avgPool(let pooling):
                current = pool(current, pooling, average: true)
            case .tag(let id):
                tagged[id] = current
            case .skip(let id):
                current = tagged[id]!
            case .addPrev(let id):
                current = add(current, tagged[id]!)
            case .fc(let fc):
                var out = Tensor(ActivationShape(channels: fc.outputs, rows: 1, cols: 1))
                for input in 0..<fc.inputs {
                    let x = current.values[input]
                    for output in 0..<fc.outputs { out.values[output] += x * fc.weights[input * fc.outputs + output] }
                }
                if !fc.biases.isEmpty { for output in 0..<fc.outputs { out.values[output] += fc.biases[output] } }
                current = out
            }
        }
        return current.values
    }

    static func convolve(_ input: Tensor, _ conv: DlibConvolution) -> Tensor {
        let (inRows, inCols) = (input.shape.rows, input.shape.cols)
        let outRows = 1 + (inRows + 2 * conv.padY - conv.kernelRows) / conv.strideY
        let outCols = 1 + (inCols + 2 * conv.padX - conv.kernelCols) / conv.strideX
        var output = Tensor(ActivationShape(channels: conv.filters, rows: outRows, cols: outCols))
        input.values.withUnsafeBufferPointer { src in
            conv.weights.withUnsafeBufferPointer { weights in
                output.values.withUnsafeMutableBufferPointer { dst in
                    for filter in 0..<conv.filters {
                        let outBase = filter * outRows * outCols
                        for channel in 0..<conv.inputChannels {
                            let inBase = channel * inRows * inCols
                            for ky in 0..<conv.kernelRows {
                                for kx in 0..<conv.kernelCols {
                                    let w = weights[((filter * conv.inputChannels + channel) * conv.kernelRows + ky)
                                        * conv.kernelCols + kx]
                                    for oy in 0..<outRows {
                                        let iy = oy * conv.strideY + ky - conv.padY
                                        guard iy >= 0, iy < inRows else { continue }
                                        for ox in 0..<outCols {
                                            let ix = ox * conv.strideX + kx - conv.padX
                                            guard ix >= 0, ix < inCols else { continue }
                                            dst[outBase + oy * outCols + ox] += w * src[inBase + iy * inCols + ix]
                                        }
                                    }
                                }
                            }
                        }
                        if !conv.biases.isEmpty {
                            for index in 0..<outRows * outCols { dst[outBase + index] += conv.biases[filter] }
                        }
                    }
                }
            }
        }
        return output
    }

    static func pool(_ input: Tensor, _ pooling: DlibPooling, average: Bool) -> Tensor {
        let (inRows, inCols) = (input.shape.rows, input.shape.cols)
        let windowRows = pooling.rows == 0 ? inRows : pooling.rows
        let windowCols = pooling.cols == 0 ? inCols : pooling.cols
        let outRows = 1 + (inRows + 2 * pooling.padY - windowRows) / pooling.strideY
        let outCols = 1 + (inCols + 2 * pooling.padX - windowCols) / pooling.strideX
        var output = Tensor(ActivationShape(channels: input.shape.channels, rows: outRows, cols: outCols))
        for channel in 0..<input.shape.channels {
            for oy in 0..<outRows {
                for ox in 0..<outCols {
                    var best = -Float.infinity
                    var sum: Float = 0
                    var count = 0
                    for ky in 0..<windowRows {
                        for kx in 0..<windowCols {
                            let iy = oy * pooling.strideY + ky - pooling.padY
                            let ix = ox * pooling.strideX + kx - pooling.padX
                            guard iy >= 0, iy < inRows, ix >= 0, ix < inCols else { continue }
                            let value = input.values[(channel * inRows + iy) * inCols + ix]
                            best = max(best, value)
                            sum += value
                            count += 1
                        }
                    }
                    output.values[(channel * outRows + oy) * outCols + ox] = average ? sum / Float(count) : best
                }
            }
        }
        return output
    }

    /// dlib's add of two tensors of different sizes: the larger size in each dimension, zero-extended.
    static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = ActivationShape(channels: max(a.shape.channels, b.shape.channels),
                                    rows: max(a.shape.rows, b.shape.rows), cols: max(a.shape.cols, b.shape.cols))
        var output = Tensor(shape)
        for source in [a, b] {
            for c in 0..<source.shape.channels {
                for y in 0..<source.shape.rows {
                    for x in 0..<source.shape.cols {
                        output.values[(c * shape.rows + y) * shape.cols + x] +=
                            source.values[(c * source.shape.rows + y) * source.shape.cols + x]
                    }
                }
            }
        }
        return output
    }
}
