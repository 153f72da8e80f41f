import NeuralKernels
import Testing

@Suite struct LayerTests {
    @Test func poolingMatchesReference() {
        var rng = SeededGenerator(seed: 20)
        // (h, w, c, window h, window w, stride y, stride x, pad y, pad x)
        let cases = [(72, 72, 3, 3, 3, 2, 2, 0, 0), (35, 35, 17, 2, 2, 2, 2, 0, 0), (8, 8, 35, 2, 2, 2, 2, 0, 0),
                     (9, 7, 1, 3, 3, 1, 1, 1, 1), (6, 5, 20, 3, 2, 2, 1, 2, 1), (4, 4, 16, 3, 3, 2, 2, 0, 0)]
        for (h, w, c, wh, ww, sy, sx, py, px) in cases {
            let input = randomTensor(TensorShape(height: h, width: w, channels: c), &rng)
            for average in [false, true] {
                var output = Tensor()
                if average {
                    Pooling.averagePool(input, windowHeight: wh, windowWidth: ww, strideY: sy, strideX: sx,
                                        paddingY: py, paddingX: px, into: &output)
                } else {
                    Pooling.maxPool(input, windowHeight: wh, windowWidth: ww, strideY: sy, strideX: sx,
                                    paddingY: py, paddingX: px, into: &output)
                }
                let expected = poolReference(input, windowHeight: wh, windowWidth: ww, strideY: sy, strideX: sx,
                                             paddingY: py, paddingX: px, average: average)
                let context = "\(average ? "avg" : "max") pool \(h)x\(w)x\(c) win \(wh)x\(ww) s \(sy)x\(sx) p \(py)x\(px)"
                #expect(output.shape == expected.shape, "\(context)")
                expectClose(output.storage, expected.storage, k: wh * ww, context)
            }
        }
    }

    @Test func dlibPoolShapes() {
        // dlib: max_pool<3,3,2,2> on the 72×72 stem gives 35×35; avg_pool<2,2,2,2> on 35 gives 17, on 8 gives 4.
        let stem = Pooling.outputShape(for: TensorShape(height: 72, width: 72, channels: 32), windowHeight: 3,
                                       windowWidth: 3, strideY: 2, strideX: 2, paddingY: 0, paddingX: 0)
        #expect(stem == TensorShape(height: 35, width: 35, channels: 32))
        let skip = Pooling.outputShape(for: TensorShape(height: 8, width: 8, channels: 128), windowHeight: 2,
                                       windowWidth: 2, strideY: 2, strideX: 2, paddingY: 0, paddingX: 0)
        #expect(skip == TensorShape(height: 4, width: 4, channels: 128))
    }

    @Test func globalAveragePoolMatchesReference() {
        var rng = SeededGenerator(seed: 21)
        for shape in [TensorShape(height: 2, width: 2, channels: 256), TensorShape(height: 3, width: 5, channels: 7)] {
            let input = randomTensor(shape, &rng)
            var output = Tensor()
            Pooling.globalAveragePool(input, into: &output)
            expectClose(output.storage, globalAveragePoolReference(input).storage, k: shape.pixels, "gap \(shape)")
        }
    }

    @Test func affineAndReLUMatchReference() {
        var rng = SeededGenerator(seed: 22)
        for shape in [TensorShape(height: 3, width: 4, channels: 35), TensorShape(height: 5, width: 1, channels: 1)] {
            let input = randomTensor(shape, &rng)
            let scale = randomFloats(shape.channels, &rng)
            let shift = randomFloats(shape.channels, &rng)
            var affine = input
            Elementwise.affine(&affine, scale: scale, shift: shift)
            expectClose(affine.storage, affineReference(input, scale: scale, shift: shift).storage, k: 1,
                        "affine \(shape)")
            var relu = input
            Elementwise.relu(&relu)
            #expect(relu == reluReference(input), "relu \(shape)")
        }
    }

    @Test func residualAddZeroExtendsLikeDlib() {
        var rng = SeededGenerator(seed: 23)
        // Same shape; channel growth (32 -> 64 at 17×17); dlib's 256×3×3 + 128×4×4 case; mixed.
        let pairs = [
            (TensorShape(height: 5, width: 4, channels: 19), TensorShape(height: 5, width: 4, channels: 19)),
            (TensorShape(height: 17, width: 17, channels: 64), TensorShape(height: 17, width: 17, channels: 32)),
            (TensorShape(height: 3, width: 3, channels: 256), TensorShape(height: 4, width: 4, channels: 128)),
            (TensorShape(height: 1, width: 2, channels: 3), TensorShape(height: 2, width: 1, channels: 5)),
        ]
        for (sa, sb) in pairs {
            let a = randomTensor(sa, &rng)
            let b = randomTensor(sb, &rng)
            for relu in [false, true] {
                var output = Tensor()
                Elementwise.residualAdd(a, b, relu: relu, into: &output)
                let expected = residualAddReference(a, b, relu: relu)
                #expect(output.shape == TensorShape.residualUnion(sa, sb))
                expectClose(output.storage, expected.storage, k: 2, "add_prev \(sa) + \(sb) relu \(relu)")
            }
        }
        // Spot-check the zero extension itself against hand-computed values.
        let a = Tensor(shape: TensorShape(height: 1, width: 1, channels: 2), storage: [1, 2])
        let b = Tensor(shape: TensorShape(height: 1, width: 2, channels: 1), storage: [10, 20])
        var output = Tensor()
        Elementwise.residualAdd(a, b, relu: false, into: &output)
        #expect(output.storage == [11, 2, 20, 0])
    }

    @Test func fullyConnectedMatchesReference() {
        var rng = SeededGenerator(seed: 24)
        for (inputs, outputs) in [(256, 128), (7, 19), (1, 1)] {
            let input = randomTensor(TensorShape(height: 1, width: 1, channels: inputs), &rng)
            let weights = randomFloats(inputs * outputs, &rng)
            var output = Tensor()
            FullyConnected(weights: weights, inputs: inputs, outputs: outputs).apply(input, into: &output)
            expectClose(output.storage, fullyConnectedReference(input, weights: weights, outputs: outputs).storage,
                        k: inputs, "fc \(inputs)->\(outputs)")
        }
    }
}
