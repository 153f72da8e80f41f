import Testing
@testable import FaceKit

/// The reader on dlib's face recognition ResNet (`Models/files`, placed by `Models/fetch`).
@Suite(.enabled(if: ModelFiles.available(ModelFiles.faceNetName), "run Models/fetch to get the model files"))
struct DlibNetworkTests {
    static let network: DlibNetwork? = try? DlibNetwork(bytes: ModelFiles.faceNetBytes)

    /// dlib's `anet_type` from examples/dnn_face_recognition_ex.cpp, unrolled from input to output.
    static let referenceLayers: [String] = {
        func block(_ filters: Int, stride: Int) -> [String] {
            let first = "con\(filters)/3x3/s\(stride)/p\(stride == 1 ? 1 : 0)"
            return [first, "affine", "relu", "con\(filters)/3x3/s1/p1", "affine"]
        }
        func ares(_ filters: Int) -> [String] { ["tag1"] + block(filters, stride: 1) + ["add_prev1", "relu"] }
        func aresDown(_ filters: Int) -> [String] {
            ["tag1"] + block(filters, stride: 2) + ["tag2", "skip1", "avg_pool2x2/s2", "add_prev2", "relu"]
        }
        var layers = ["input_rgb_image_sized", "con32/7x7/s2/p0", "affine", "relu", "max_pool3x3/s2"]
        layers += ares(32) + ares(32) + ares(32)  // alevel4
        layers += aresDown(64) + ares(64) + ares(64) + ares(64)  // alevel3
        layers += aresDown(128) + ares(128) + ares(128)  // alevel2
        layers += aresDown(256) + ares(256) + ares(256)  // alevel1
        layers += aresDown(256)  // alevel0
        return layers + ["avg_pool0x0/s1", "fc128"]
    }()

    static func signature(_ layer: DlibLayer) -> String {
        switch layer {
        case .conv(let c):
            "con\(c.filters)/\(c.kernelRows)x\(c.kernelCols)/s\(c.strideY)/p\(c.padY)"
        case .maxPool(let p):
            "max_pool\(p.rows)x\(p.cols)/s\(p.strideY)"
        case .avgPool(let p):
            "avg_pool\(p.rows)x\(p.cols)/s\(p.strideY)"
        case .fc(let f):
            "fc\(f.outputs)"
        default:
            layer.name
        }
    }

    @Test func layersMatchDlibDefinition() throws {
        let network = try #require(Self.network)
        #expect(network.layers.map(Self.signature) == Self.referenceLayers)
        #expect(network.loss == .metric(margin: 0.04, distanceThreshold: 0.6))
    }

    @Test func layerCounts() throws {
        let counts = try #require(Self.network).layerCounts
        #expect(counts["con"] == 29)
        #expect(counts["fc"] == 1)
        #expect(counts["affine"] == 29)
        #expect(counts["relu"] == 29)
        #expect(counts["add_prev"] == 14)
        #expect(counts["skip"] == 4)
    }

    @Test func inputLayer() throws {
        let input = try #require(Self.network).input
        #expect(input.tag == "input_rgb_image_sized")
        #expect(input.rows == 150 && input.cols == 150)
        #expect(abs(input.meanRed - 122.782) < 0.001)
        #expect(abs(input.meanGreen - 117.001) < 0.001)
        #expect(abs(input.meanBlue - 104.298) < 0.001)
    }

    /// 5 614 592: the parameter count of the reference definition, worked out by hand
    /// (conv weights + biases, affine gamma + beta, fc 256×128 without bias).
    @Test func parameterCount() throws {
        let network = try #require(Self.network)
        #expect(network.parameterCount == 5_614_592)
        guard case .fc(let fc) = network.layers.last else { Issue.record("last layer is not fc"); return }
        #expect(fc.inputs == 256 && fc.outputs == 128 && fc.biases.isEmpty && fc.weights.count == 32_768)
    }

    @Test func operationsForOneChip() throws {
        let network = try #require(Self.network)
        let counts = try network.operationCounts(rows: 150, cols: 150)
        let gflop = Double(counts.flops) / 1e9
        #expect(abs(gflop - 0.5417) / 0.5417 < 0.001, "got \(gflop) GFLOP")
        let shapes = try network.activationShapes(rows: 150, cols: 150)
        #expect(shapes[1] == ActivationShape(channels: 32, rows: 72, cols: 72))
        #expect(shapes[4] == ActivationShape(channels: 32, rows: 35, cols: 35))
        #expect(shapes[shapes.count - 2] == ActivationShape(channels: 256, rows: 1, cols: 1))
        #expect(shapes.last == ActivationShape(channels: 128, rows: 1, cols: 1))
    }

    @Test func wrongInputSizeIsRejected() throws {
        let network = try #require(Self.network)
        #expect(throws: ModelLoadError.self) { try network.activationShapes(rows: 120, cols: 150) }
    }

    @Test(arguments: [1, 30, 200, 4_000, 1_000_000, 11_000_000, 22_466_065])
    func truncatedFileNamesTheOffset(length: Int) throws {
        let bytes = Array(ModelFiles.faceNetBytes.prefix(length))
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .truncated)
        #expect((error?.offset ?? .max) <= length)
        if length > 1_000_000 {
            // Past the framing, inside the layer records: the error names the layer and its tag.
            #expect(error?.layerIndex != nil)
            #expect(error?.tag != nil)
        }
    }

    @Test func unknownLayerTagNamesLayerTagAndOffset() throws {
        var bytes = ModelFiles.faceNetBytes
        let record = try #require(Self.firstOffset(of: [0x01, 0x05] + Array("con_4".utf8), in: bytes))
        bytes[record + 6] = UInt8(ascii: "9")  // con_4 → con_9
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .unknownTag)
        #expect(error?.tag == "con_9")
        #expect(error?.layerIndex == 1)  // the first layer after the input
        #expect(error?.offset == record)
    }

    @Test func unknownLossTagIsReported() throws {
        var bytes = ModelFiles.faceNetBytes
        bytes[2 + 2 + 4] = UInt8(ascii: "X")  // loss_metric_2 → lossXmetric_2
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .unknownTag)
        #expect(error?.tag == "lossXmetric_2")
        #expect(error?.offset == 2)
    }

    @Test func unknownFramingVersionIsReported() throws {
        var bytes = ModelFiles.faceNetBytes
        // After "01 01" (loss version), the 13-byte tag with its 2-byte length and two floats of 6 bytes:
        let framing = 2 + 2 + 13 + 6 + 6
        #expect(Array(bytes[framing..<framing + 2]) == [0x01, 0x02])
        bytes[framing + 1] = 7
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .unsupportedVersion)
        #expect(error?.offset == framing)
    }

    @Test func trailingBytesAreReported() throws {
        let bytes = ModelFiles.faceNetBytes + [0x01, 0x00]
        let error = #expect(throws: ModelLoadError.self) { try DlibNetwork(bytes: bytes) }
        #expect(error?.reason == .trailingBytes)
        #expect(error?.offset == ModelFiles.faceNetBytes.count)
    }

    static func firstOffset(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if Array(bytes[start..<start + pattern.count]) == pattern { return start }
        }
        return nil
    }
}
