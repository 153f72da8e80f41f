/// A fully-connected layer without bias (dlib `fc_no_bias`): `y[o] = Σᵢ x[i] · W[i][o]`.
///
/// Weights use dlib's layout, input-major `[inputs][outputs]`, which lets the kernel stream rows of W and
/// accumulate all outputs as vectors. The input is read flat in HWC order; for dlib compatibility feed a 1×1×C
/// tensor (after global average pooling), where HWC and dlib's CHW order coincide.
public struct FullyConnected: Sendable {
    /// Input length.
    public let inputs: Int
    /// Output length.
    public let outputs: Int
    let weights: [Float]

    /// Takes `weights` in dlib layout `[inputs][outputs]`.
    public init(weights: [Float], inputs: Int, outputs: Int) {
        precondition(weights.count == inputs * outputs, "fc weights: \(weights.count) floats for \(inputs)x\(outputs)")
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
    }

    /// Writes the 1×1×outputs result into `output`; for `images` > 1 inputs stacked in `input` (each
    /// `inputs` floats), `output` becomes images×1×outputs.
    public func apply(_ input: Tensor, into output: inout Tensor, images: Int = 1) {
        precondition(images >= 1 && input.shape.count == inputs * images,
                     "fc expects \(images)×\(inputs) inputs, got \(input.shape)")
        output.reshape(to: TensorShape(height: images, width: 1, channels: outputs))
        input.withUnsafeBufferPointer { all in
            weights.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { result in
                    for image in 0..<images {
                        let x = UnsafeBufferPointer(rebasing: all[image * inputs..<(image + 1) * inputs])
                        let out = result.baseAddress! + image * outputs
                        let raw = UnsafeMutableRawPointer(out)
                        var o = 0
                        while o + 16 <= outputs {
                            var acc = SIMD16<Float>()
                            for i in 0..<inputs {
                                let row = UnsafeRawPointer(w.baseAddress! + i * outputs + o)
                                acc = multiplyAdd(acc, x[i], row.loadUnaligned(as: SIMD16<Float>.self))
                            }
                            raw.storeBytes(of: acc, toByteOffset: o * 4, as: SIMD16<Float>.self)
                            o += 16
                        }
                        while o < outputs {
                            var sum: Float = 0
                            for i in 0..<inputs { sum += x[i] * w[i * outputs + o] }
                            out[o] = sum
                            o += 1
                        }
                    }
                }
            }
        }
    }
}

/// Scalar reference for `FullyConnected.apply` (weights `[inputs][outputs]`), accumulated in Double.
public func fullyConnectedReference(_ input: Tensor, weights: [Float], outputs: Int) -> Tensor {
    let inputs = input.shape.count
    var output = Tensor(shape: TensorShape(height: 1, width: 1, channels: outputs))
    for o in 0..<outputs {
        var sum = 0.0
        for i in 0..<inputs { sum += Double(input.storage[i]) * Double(weights[i * outputs + o]) }
        output[0, 0, o] = Float(sum)
    }
    return output
}
