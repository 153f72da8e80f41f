import Testing
@testable import FaceKit

/// The DNN reader on a small network written byte by byte in the test (runs without model files):
/// input 4×4 → con 2×3×3 pad 1 → tag → relu → con → tag → skip → add_prev → avg_pool_everything → fc 2→3.
struct DlibSyntheticNetworkTests {
    static let convWeights: [Float] = (0..<54).map { Float($0) / 64 - 0.5 }
    static let fcWeights: [Float] = [0.5, -1, 2, 0.25, 0, -3]

    static func conv(_ e: inout DlibTestEncoder, inputs: Int, tag: String = "con_4") {
        let count = 2 * inputs * 9
        e.string(tag)
        e.tensor([count + 2, 1, 1, 1], Array(convWeights.prefix(count)) + [0.125, -0.25])
        e.int(2); e.int(3); e.int(3)  // filters, nr, nc
        e.int(1); e.int(1); e.int(1); e.int(1)  // strides, padding
        e.aliasTensor([2, inputs, 3, 3])
        e.aliasTensor([1, 2, 1, 1])
        for _ in 0..<4 { e.float(1) }
        if tag != "con_4" { e.bool(true) }
    }

    /// Execution order: input, con, tag1, relu, con, tag2, skip1, add_prev2, avg_pool, fc.
    static func network(convTag: String = "con_4") -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(1); e.string("loss_metric_2"); e.float(0.04); e.float(0.6)
        e.int(2); e.int(2); e.int(2)  // fc, avg_pool, add_prev frames
        e.int(1); e.int(1)  // skip, tag frames
        e.int(2)  // con
        e.int(2)  // relu
        e.int(1)  // tag
        e.int(3)  // con over the input
        e.string("input_rgb_image_sized"); e.float(122.5); e.float(117); e.float(104.25); e.int(4); e.int(4)
        conv(&e, inputs: 3, tag: convTag); e.frameTail(overInput: true, version: 3)
        e.string("relu_"); e.frameTail()
        conv(&e, inputs: 2); e.frameTail()
        e.string("add_prev_"); e.frameTail()
        e.string("avg_pool_2"); e.int(0); e.int(0); e.int(1); e.int(1); e.int(0); e.int(0); e.frameTail()
        e.string("fc_2"); e.int(3); e.int(2)
        e.tensor([2, 3, 1, 1], fcWeights); e.aliasTensor([2, 3, 1, 1]); e.aliasTensor([0, 0, 0, 0]); e.int(1)
        for _ in 0..<4 { e.float(1) }
        e.frameTail()
        return e.bytes
    }

    @Test func readsLayersInExecutionOrder() throws {
        let network = try DlibNetwork(bytes: Self.network())
        #expect(network.layers.map(\.name) == ["input_rgb_image_sized", "con", "tag1", "relu", "con", "tag2", "skip1",
                                               "add_prev2", "avg_pool", "fc"])
        #expect(network.loss == .metric(margin: 0.04, distanceThreshold: 0.6))
        #expect(network.input.meanRed == 122.5 && network.input.meanBlue == 104.25 && network.input.rows == 4)
        guard case .conv(let conv) = network.layers[1], case .fc(let fc) = network.layers[9] else {
            Issue.record("layer kinds")
            return
        }
        #expect(conv.weights == Array(Self.convWeights) && conv.biases == [0.125, -0.25])
        #expect(conv.inputChannels == 3 && conv.padY == 1 && !conv.fusedReLU)
        #expect(fc.weights == Self.fcWeights && fc.biases.isEmpty && fc.inputs == 2)
        #expect(network.parameterCount == 56 + 38 + 6)
        let shapes = try network.activationShapes(rows: 4, cols: 4)
        #expect(shapes[8] == ActivationShape(channels: 2, rows: 1, cols: 1))
        // 2 per multiply-add: 2 convolutions of 4×4×2 outputs (27 and 18 taps), fc 2×3.
        #expect(try network.operationCounts(rows: 4, cols: 4).flops == 2 * (32 * 27 + 32 * 18 + 6))
    }

    @Test func everyTruncationThrowsWithAnOffsetInside() {
        let bytes = Self.network()
        for length in 0..<bytes.count {
            let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: Array(bytes.prefix(length))) }
            #expect(error?.reason == .truncated, "length \(length)")
            #expect((error?.offset ?? .max) <= length, "length \(length)")
        }
    }

    @Test func newerConvolutionVersionsAreRead() throws {
        let network = try DlibNetwork(bytes: Self.network(convTag: "con_5"))
        #expect(network.layers.filter { if case .conv = $0 { true } else { false } }.count == 2)
    }

    @Test func unknownConvolutionVersionNamesLayerAndTag() {
        let bytes = Self.network(convTag: "con_7")
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .unknownTag)
        #expect(error?.tag == "con_7")
        #expect(error?.layerIndex == 1)
    }

    @Test func addPrevWithoutTagIsRejected() {
        var e = DlibTestEncoder()
        e.int(1); e.string("loss_metric_")
        e.int(2); e.int(3)
        e.string("input_rgb_image"); e.float(0); e.float(0); e.float(0)
        e.string("relu_"); e.frameTail(overInput: true, version: 3)
        e.string("add_prev_"); e.frameTail()
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: e.bytes) }
        #expect(error?.reason == .malformed)
        #expect(error?.layerIndex == 2)
        #expect(error?.tag == "add_prev_")
    }
}
