import SightlineCore
@testable import FaceKit

/// Small dlib networks with seeded random weights, built as layer lists (what the reader produces), for
/// comparing the embedder with `ReferenceForward` on wiring the face ResNet does not have.
enum SmallNetworks {
    /// SplitMix64: a seeded generator, so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func floats(_ count: Int, _ range: ClosedRange<Float> = -0.5...0.5) -> [Float] {
            let width = range.upperBound - range.lowerBound
            return (0..<count).map { _ in range.lowerBound + Float(next() >> 40) / Float(1 << 24) * width }
        }
    }

    static func conv(_ g: inout Generator, _ inputs: Int, _ filters: Int, _ kernel: Int, stride: Int, pad: Int,
                     bias: Bool = true, relu: Bool = false) -> DlibLayer {
        .conv(DlibConvolution(filters: filters, inputChannels: inputs, kernelRows: kernel, kernelCols: kernel,
                              strideY: stride, strideX: stride, padY: pad, padX: pad,
                              weights: g.floats(filters * inputs * kernel * kernel),
                              biases: bias ? g.floats(filters) : [],
                              fusedReLU: relu))
    }

    static func affine(_ g: inout Generator, _ count: Int, perElement: Bool = false) -> DlibLayer {
        .affine(DlibAffine(gamma: g.floats(count, 0.5...1.5), beta: g.floats(count), perElement: perElement))
    }

    static func pool(_ size: Int, _ stride: Int, pad: Int = 0) -> DlibPooling {
        DlibPooling(rows: size, cols: size, strideY: stride, strideX: stride, padY: pad, padX: pad)
    }

    static func input(rows: Int, cols: Int) -> DlibLayer {
        .input(DlibInput(tag: "input_rgb_image_sized", meanRed: 122.5, meanGreen: 117, meanBlue: 104.25,
                         rows: rows, cols: cols))
    }

    /// The face ResNet's vocabulary in miniature: a stem, a same-shape residual block (fusable) and a
    /// down-sampling block whose add zero-extends height, width and channels, then global pooling and fc.
    static func residual(seed: UInt64) -> DlibNetwork {
        var g = Generator(state: seed)
        let layers: [DlibLayer] = [
            input(rows: 9, cols: 11),
            conv(&g, 3, 8, 3, stride: 1, pad: 1), affine(&g, 8), .relu, .maxPool(pool(3, 2)),
            .tag(1), conv(&g, 8, 8, 3, stride: 1, pad: 1), affine(&g, 8), .relu,
            conv(&g, 8, 8, 3, stride: 1, pad: 1), affine(&g, 8), .addPrev(tag: 1), .relu,
            .tag(1), conv(&g, 8, 16, 3, stride: 2, pad: 0), affine(&g, 16), .relu,
            conv(&g, 16, 16, 3, stride: 1, pad: 1), affine(&g, 16), .tag(2), .skip(1), .avgPool(pool(2, 2)),
            .addPrev(tag: 2), .relu,
            .avgPool(pool(0, 1)),
            .fc(DlibFullyConnected(outputs: 5, inputs: 16, weights: g.floats(80), biases: [])),
        ]
        return DlibNetwork(loss: .metric(margin: 0.04, distanceThreshold: 0.6), layers: layers)
    }

    /// Orders that cannot be fused: a con with its own ReLU, per-element affine, a tag between a layer and its
    /// ReLU, add_prev after a ReLU, a con without bias or affine, padded average pooling, fc over a 3×3 map.
    static func unusual(seed: UInt64) -> DlibNetwork {
        var g = Generator(state: seed)
        let layers: [DlibLayer] = [
            input(rows: 7, cols: 6),
            conv(&g, 3, 4, 3, stride: 1, pad: 1, relu: true), affine(&g, 7 * 6 * 4, perElement: true),
            .tag(1), .relu, affine(&g, 4), .tag(2), .relu, .addPrev(tag: 1),
            conv(&g, 4, 4, 5, stride: 1, pad: 2, bias: false), .relu,
            .maxPool(pool(2, 2)), .avgPool(pool(3, 1, pad: 1)),
            .fc(DlibFullyConnected(outputs: 6, inputs: 36, weights: g.floats(216), biases: g.floats(6))),
        ]
        return DlibNetwork(loss: .metric(margin: 0.04, distanceThreshold: 0.6), layers: layers)
    }

    /// A seeded random RGB chip.
    static func chip(rows: Int, cols: Int, seed: UInt64) -> Image {
        var g = Generator(state: seed)
        let pixels = (0..<rows * cols * 3).map { _ in UInt8(g.next() >> 56) }
        return Image(width: cols, height: rows, channels: 3, pixels: pixels)
    }
}
