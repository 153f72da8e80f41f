import NeuralKernels
import Testing

struct ConvCase: CustomStringConvertible {
    var height, width, inC, outC, kh, kw, sy, sx, py, px: Int
    var description: String {
        "in \(height)x\(width)x\(inC) out \(outC) k \(kh)x\(kw) s \(sy)x\(sx) p \(py)x\(px)"
    }
}

@Suite struct ConvolutionTests {
    static let cases: [ConvCase] = [
        ConvCase(height: 19, width: 17, inC: 3, outC: 32, kh: 7, kw: 7, sy: 2, sx: 2, py: 0, px: 0),  // face stem
        ConvCase(height: 11, width: 9, inC: 8, outC: 32, kh: 3, kw: 3, sy: 1, sx: 1, py: 1, px: 1),
        ConvCase(height: 9, width: 9, inC: 16, outC: 33, kh: 3, kw: 3, sy: 2, sx: 2, py: 0, px: 0),
        ConvCase(height: 6, width: 7, inC: 40, outC: 5, kh: 3, kw: 3, sy: 1, sx: 1, py: 1, px: 1),   // K = 360 > kc
        ConvCase(height: 1, width: 1, inC: 48, outC: 20, kh: 3, kw: 3, sy: 1, sx: 1, py: 1, px: 1),  // dead taps
        ConvCase(height: 8, width: 5, inC: 1, outC: 3, kh: 1, kw: 1, sy: 1, sx: 1, py: 0, px: 0),
        ConvCase(height: 10, width: 13, inC: 3, outC: 17, kh: 5, kw: 3, sy: 2, sx: 1, py: 2, px: 1),
        ConvCase(height: 4, width: 4, inC: 7, outC: 64, kh: 3, kw: 3, sy: 1, sx: 1, py: 2, px: 2),
        ConvCase(height: 5, width: 6, inC: 2, outC: 1, kh: 3, kw: 3, sy: 3, sx: 2, py: 1, px: 0),
    ]

    static func check(_ c: ConvCase, _ rng: inout SeededGenerator, workspace: Workspace) {
        let input = randomTensor(TensorShape(height: c.height, width: c.width, channels: c.inC), &rng)
        let weights = randomFloats(c.outC * c.inC * c.kh * c.kw, &rng)
        let bias = randomFloats(c.outC, &rng)
        let conv = PackedConvolution(weights: weights, bias: bias, inChannels: c.inC, outChannels: c.outC,
                                     kernelHeight: c.kh, kernelWidth: c.kw, strideY: c.sy, strideX: c.sx,
                                     paddingY: c.py, paddingX: c.px)
        var output = Tensor()
        conv.apply(input, into: &output, workspace: workspace)
        let expected = conv2dReference(input, weights: weights, bias: bias, outChannels: c.outC, kernelHeight: c.kh,
                                       kernelWidth: c.kw, strideY: c.sy, strideX: c.sx, paddingY: c.py, paddingX: c.px)
        #expect(output.shape == expected.shape, "shape for \(c)")
        expectClose(output.storage, expected.storage, k: c.kh * c.kw * c.inC, "conv \(c)")
    }

    @Test func matchesReferenceOnEdgeShapes() {
        var rng = SeededGenerator(seed: 10)
        let workspace = Workspace()
        for c in Self.cases { Self.check(c, &rng, workspace: workspace) }
    }

    @Test func matchesReferenceOnRandomShapes() {
        var rng = SeededGenerator(seed: 11)
        let workspace = Workspace()
        for _ in 0..<10 {
            let kh = Int.random(in: 1...5, using: &rng)
            let kw = Int.random(in: 1...5, using: &rng)
            let c = ConvCase(height: Int.random(in: kh...14, using: &rng), width: Int.random(in: kw...14, using: &rng),
                             inC: Int.random(in: 1...20, using: &rng), outC: Int.random(in: 1...40, using: &rng),
                             kh: kh, kw: kw, sy: Int.random(in: 1...2, using: &rng), sx: Int.random(in: 1...2, using: &rng),
                             py: Int.random(in: 0..<kh, using: &rng), px: Int.random(in: 0..<kw, using: &rng))
            Self.check(c, &rng, workspace: workspace)
        }
    }

    @Test func fusedAffineResidualAndReLUMatchSeparateReferenceOps() {
        var rng = SeededGenerator(seed: 12)
        let (h, w, inC, outC) = (7, 9, 12, 36)
        let input = randomTensor(TensorShape(height: h, width: w, channels: inC), &rng)
        let weights = randomFloats(outC * inC * 9, &rng)
        let bias = randomFloats(outC, &rng)
        let scale = randomFloats(outC, &rng)
        let shift = randomFloats(outC, &rng)
        let residual = randomTensor(TensorShape(height: h, width: w, channels: outC), &rng)
        let conv = PackedConvolution(weights: weights, bias: bias, inChannels: inC, outChannels: outC,
                                     kernelHeight: 3, kernelWidth: 3, paddingY: 1, paddingX: 1)
            .fusingAffine(scale: scale, shift: shift)
            .fusingReLU()
        var output = Tensor()
        conv.apply(input, residual: residual, into: &output, workspace: Workspace())
        let raw = conv2dReference(input, weights: weights, bias: bias, outChannels: outC, kernelHeight: 3,
                                  kernelWidth: 3, strideY: 1, strideX: 1, paddingY: 1, paddingX: 1)
        let expected = residualAddReference(affineReference(raw, scale: scale, shift: shift), residual, relu: true)
        expectClose(output.storage, expected.storage, k: 9 * inC, "fused conv 7x9x12 -> 36")
        #expect(output.storage.contains(0) && output.storage.contains { $0 > 0 }, "ReLU should clip some values")
    }

    @Test func workspaceStopsGrowingAfterFirstRun() {
        var rng = SeededGenerator(seed: 13)
        let conv = PackedConvolution(weights: randomFloats(32 * 16 * 9, &rng), bias: nil, inChannels: 16,
                                     outChannels: 32, kernelHeight: 3, kernelWidth: 3, paddingY: 1, paddingX: 1)
        let input = randomTensor(TensorShape(height: 9, width: 9, channels: 16), &rng)
        let workspace = Workspace()
        var output = Tensor()
        conv.apply(input, into: &output, workspace: workspace)
        let capacity = workspace.capacity
        let first = output
        conv.apply(input, into: &output, workspace: workspace)
        #expect(workspace.capacity == capacity)
        #expect(output == first, "same input must give bit-identical output")
    }
}
