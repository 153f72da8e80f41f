import NeuralKernels

/// dlib's face ResNet with random weights, chained end to end (stem, pools, 14 residual blocks, fc) to time
/// one whole face including the non-convolution layers. Output tensors are reused, so a run allocates nothing.
struct FaceNetwork {
    struct Block {
        var first: PackedConvolution   // con → affine → relu
        var second: PackedConvolution  // con → affine (+ residual and relu fused when shapes match)
        var down: Bool
    }

    let stem: PackedConvolution
    var blocks: [Block] = []
    let fc: FullyConnected

    init(random: (Int) -> [Float]) {
        func conv(_ inC: Int, _ outC: Int, _ k: Int, _ stride: Int) -> PackedConvolution {
            let pad = PackedConvolution.dlibPadding(window: k, stride: stride)
            return PackedConvolution(weights: random(outC * inC * k * k), bias: random(outC), inChannels: inC,
                                     outChannels: outC, kernelHeight: k, kernelWidth: k, strideY: stride,
                                     strideX: stride, paddingY: pad, paddingX: pad)
                .fusingAffine(scale: random(outC), shift: random(outC))
        }
        stem = conv(3, 32, 7, 2).fusingReLU()
        var channels = 32
        for (width, count, down) in [(32, 3, false), (64, 4, true), (128, 3, true), (256, 3, true), (256, 1, true)] {
            for i in 0..<count {
                let isDown = down && i == 0
                let first = conv(channels, width, 3, isDown ? 2 : 1).fusingReLU()
                let second = isDown ? conv(width, width, 3, 1) : conv(width, width, 3, 1).fusingReLU()
                blocks.append(Block(first: first, second: second, down: isDown))
                channels = width
            }
        }
        fc = FullyConnected(weights: random(256 * 128), inputs: 256, outputs: 128)
    }

    /// Slots reused across faces.
    struct Buffers {
        var a = Tensor(), b = Tensor(), c = Tensor(), skip = Tensor(), pooled = Tensor(), out = Tensor()
    }

    func run(_ input: Tensor, _ s: inout Buffers, workspace: Workspace) {
        stem.apply(input, into: &s.a, workspace: workspace)
        Pooling.maxPool(s.a, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2, paddingY: 0, paddingX: 0,
                        into: &s.b)
        for block in blocks {
            // s.b holds the block input.
            block.first.apply(s.b, into: &s.a, workspace: workspace)
            if block.down {
                block.second.apply(s.a, into: &s.c, workspace: workspace)
                Pooling.averagePool(s.b, windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2, paddingY: 0,
                                    paddingX: 0, into: &s.skip)
                Elementwise.residualAdd(s.c, s.skip, relu: true, into: &s.b)
            } else {
                block.second.apply(s.a, residual: s.b, into: &s.c, workspace: workspace)
                swap(&s.b, &s.c)
            }
        }
        Pooling.globalAveragePool(s.b, into: &s.pooled)
        fc.apply(s.pooled, into: &s.out)
    }
}
