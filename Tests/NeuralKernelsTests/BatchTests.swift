import NeuralKernels
import Testing

/// Batched kernels (`images:`, images stacked vertically) against the same kernels run image by image: the
/// results must be identical, since every output row is computed the same way whatever rows surround it.
@Suite struct BatchTests {
    static func stack(_ tensors: [Tensor]) -> Tensor {
        let shape = tensors[0].shape
        return Tensor(shape: TensorShape(height: shape.height * tensors.count, width: shape.width,
                                         channels: shape.channels),
                      storage: tensors.flatMap(\.storage))
    }

    @Test(arguments: [1, 2, 3, 5])
    func convolutionOfAStackEqualsEachImage(images: Int) {
        var rng = SeededGenerator(seed: 40 + UInt64(images))
        let workspace = Workspace()
        for c in ConvolutionTests.cases {
            let inputs = (0..<images).map { _ in
                randomTensor(TensorShape(height: c.height, width: c.width, channels: c.inC), &rng)
            }
            let conv = PackedConvolution(
                weights: randomFloats(c.outC * c.inC * c.kh * c.kw, &rng), bias: randomFloats(c.outC, &rng),
                inChannels: c.inC, outChannels: c.outC, kernelHeight: c.kh, kernelWidth: c.kw, strideY: c.sy,
                strideX: c.sx, paddingY: c.py, paddingX: c.px
            ).fusingAffine(scale: randomFloats(c.outC, &rng), shift: randomFloats(c.outC, &rng)).fusingReLU()
            var singles: [Tensor] = []
            for input in inputs {
                var output = Tensor()
                conv.apply(input, into: &output, workspace: workspace)
                singles.append(output)
            }
            let residual = Self.stack(singles.map { Tensor(shape: $0.shape, storage: $0.storage.map { $0 - 0.5 }) })
            var batched = Tensor()
            conv.apply(Self.stack(inputs), into: &batched, images: images, workspace: workspace)
            #expect(batched == Self.stack(singles), "\(c), \(images) images")
            var withResidual = Tensor()
            conv.apply(Self.stack(inputs), residual: residual, into: &withResidual, images: images,
                       workspace: workspace)
            var expected: [Float] = []
            for (index, input) in inputs.enumerated() {
                var output = Tensor()
                let single = Tensor(shape: singles[index].shape, storage: singles[index].storage.map { $0 - 0.5 })
                conv.apply(input, residual: single, into: &output, workspace: workspace)
                expected += output.storage
            }
            #expect(withResidual.storage == expected, "\(c) with residual, \(images) images")
        }
    }

    @Test func poolingAddAndFullyConnectedOfAStackEqualEachImage() {
        var rng = SeededGenerator(seed: 77)
        let images = 3
        let a = (0..<images).map { _ in randomTensor(TensorShape(height: 7, width: 9, channels: 5), &rng) }
        let b = (0..<images).map { _ in randomTensor(TensorShape(height: 6, width: 9, channels: 19), &rng) }
        func each(_ body: (Tensor, inout Tensor) -> Void, _ inputs: [Tensor]) -> Tensor {
            Self.stack(inputs.map { input in
                var output = Tensor()
                body(input, &output)
                return output
            })
        }
        var out = Tensor()
        Pooling.maxPool(Self.stack(a), windowHeight: 3, windowWidth: 2, strideY: 2, strideX: 2, paddingY: 1,
                        paddingX: 0, into: &out, images: images)
        #expect(out == each({ Pooling.maxPool($0, windowHeight: 3, windowWidth: 2, strideY: 2, strideX: 2,
                                               paddingY: 1, paddingX: 0, into: &$1) }, a))
        Pooling.averagePool(Self.stack(a), windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2, paddingY: 0,
                            paddingX: 0, into: &out, images: images)
        #expect(out == each({ Pooling.averagePool($0, windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2,
                                                   paddingY: 0, paddingX: 0, into: &$1) }, a))
        Pooling.globalAveragePool(Self.stack(b), into: &out, images: images)
        let pooled = each({ Pooling.globalAveragePool($0, into: &$1) }, b)
        #expect(out == pooled)
        Elementwise.residualAdd(Self.stack(a), Self.stack(b), relu: true, into: &out, images: images)
        var sums: [Float] = []
        for i in 0..<images {
            var one = Tensor()
            Elementwise.residualAdd(a[i], b[i], relu: true, into: &one)
            #expect(one.shape == TensorShape(height: 7, width: 9, channels: 19))
            sums += one.storage
        }
        #expect(out.storage == sums && out.shape == TensorShape(height: 21, width: 9, channels: 19))
        let fc = FullyConnected(weights: randomFloats(19 * 11, &rng), inputs: 19, outputs: 11)
        fc.apply(pooled, into: &out, images: images)
        #expect(out == each({ fc.apply($0, into: &$1) }, (0..<images).map { i in
            Tensor(shape: TensorShape(height: 1, width: 1, channels: 19),
                   storage: Array(pooled.storage[i * 19..<(i + 1) * 19]))
        }))
    }
}
