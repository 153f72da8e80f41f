import NeuralKernels
import Testing

@Suite struct FaceShapeTests {
    /// Walks dlib's face ResNet with the kernels' shape rules (conv and pool output sizes, dlib default
    /// padding, add_prev's union shape) and checks the multiply-add total published for the reference network
    /// (270.85 M for 29 convolutions + fc, as Benchmarks/embed/onnx_export.py counts it from dlib's own dump)
    /// and the 256×2×2 final map.
    @Test func faceResNetShapesGiveDlibsMultiplyAddCount() {
        func conv(_ inC: Int, _ outC: Int, _ k: Int, _ stride: Int) -> PackedConvolution {
            let pad = PackedConvolution.dlibPadding(window: k, stride: stride)
            return PackedConvolution(weights: [Float](repeating: 0, count: outC * inC * k * k), bias: nil,
                                     inChannels: inC, outChannels: outC, kernelHeight: k, kernelWidth: k,
                                     strideY: stride, strideX: stride, paddingY: pad, paddingX: pad)
        }
        var macs = 0
        var convolutions = 0
        func run(_ c: PackedConvolution, _ shape: TensorShape) -> TensorShape {
            macs += c.multiplyAdds(for: shape)
            convolutions += 1
            return c.outputShape(for: shape)
        }
        var shape = run(conv(3, 32, 7, 2), TensorShape(height: 150, width: 150, channels: 3))
        #expect(shape == TensorShape(height: 72, width: 72, channels: 32))
        shape = Pooling.outputShape(for: shape, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2,
                                    paddingY: 0, paddingX: 0)
        for (width, count, down) in [(32, 3, false), (64, 4, true), (128, 3, true), (256, 3, true), (256, 1, true)] {
            for i in 0..<count {
                let isDown = down && i == 0
                let mid = run(conv(shape.channels, width, 3, isDown ? 2 : 1), shape)
                let out = run(conv(width, width, 3, 1), mid)
                if isDown {
                    let skip = Pooling.outputShape(for: shape, windowHeight: 2, windowWidth: 2, strideY: 2,
                                                   strideX: 2, paddingY: 0, paddingX: 0)
                    shape = TensorShape.residualUnion(out, skip)
                } else {
                    #expect(out == shape, "identity block changed shape \(shape) -> \(out)")
                }
            }
        }
        #expect(shape == TensorShape(height: 2, width: 2, channels: 256))
        #expect(convolutions == 29)
        #expect(macs + 256 * 128 == 270_854_144)
    }
}
