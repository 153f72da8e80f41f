/// Scalar reference convolution on HWC tensors with dlib-layout weights `[outC][inC][kh][kw]`, zero padding,
/// optional bias, computed directly (no im2col) in Double. Output size `1 + (in + 2·pad − k) / stride`.
public func conv2dReference(
    _ input: Tensor, weights: [Float], bias: [Float]?, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
    strideY: Int, strideX: Int, paddingY: Int, paddingX: Int
) -> Tensor {
    let inC = input.shape.channels
    precondition(weights.count == outChannels * inC * kernelHeight * kernelWidth, "reference conv weight count")
    let outH = 1 + (input.shape.height + 2 * paddingY - kernelHeight) / strideY
    let outW = 1 + (input.shape.width + 2 * paddingX - kernelWidth) / strideX
    var output = Tensor(shape: TensorShape(height: outH, width: outW, channels: outChannels))
    for oy in 0..<outH {
        for ox in 0..<outW {
            for o in 0..<outChannels {
                var sum = Double(bias?[o] ?? 0)
                for ky in 0..<kernelHeight {
                    let iy = oy * strideY - paddingY + ky
                    if iy < 0 || iy >= input.shape.height { continue }
                    for kx in 0..<kernelWidth {
                        let ix = ox * strideX - paddingX + kx
                        if ix < 0 || ix >= input.shape.width { continue }
                        for ic in 0..<inC {
                            let w = weights[((o * inC + ic) * kernelHeight + ky) * kernelWidth + kx]
                            sum += Double(w) * Double(input[iy, ix, ic])
                        }
                    }
                }
                output[oy, ox, o] = Float(sum)
            }
        }
    }
    return output
}
