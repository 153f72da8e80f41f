/// Reads dlib's DNN framing: `add_loss_layer` over nested `add_layer` / `add_tag_layer` /
/// `add_skip_layer` records, down to the input layer (dlib/dnn/core.h).
///
/// dlib writes a network outermost first, and each `add_layer` writes its subnetwork *before* its
/// own layer record. So the file is: loss version and record, then one framing version number per
/// layer from the output down, then the input record, then the layer records from the input up.
/// Framing versions: `add_layer` 2 (its last record: 3 bools, x_grad, cached_output, params_grad),
/// `add_layer` over the input 2 or 3 (… grad_final, and in 3 the sample expansion factor),
/// `add_tag_layer` and `add_skip_layer` 1 with nothing after the subnetwork.
struct DlibNetworkReader {
    private var decoder: DlibDecoder

    /// Framing versions for the two kinds of non-input frames this reader accepts.
    private static let layerFrameVersion = 2
    private static let bareFrameVersion = 1

    init(bytes: [UInt8]) {
        decoder = DlibDecoder(bytes: bytes)
    }

    /// A layer met in the file, before tag numbers are recovered.
    enum Node {
        case layer(DlibLayer, offset: Int)
        case bare(offset: Int)
        case addPrev(offset: Int)

        var offset: Int {
            switch self {
            case .layer(_, let offset), .bare(let offset), .addPrev(let offset): offset
            }
        }
    }

    mutating func read() throws(ModelLoadError) -> DlibNetwork {
        let lossVersionOffset = decoder.offset
        let lossVersion = try decoder.readInt("add_loss_layer version")
        guard lossVersion == 1 else {
            throw ModelLoadError(.unsupportedVersion, offset: lossVersionOffset, tag: "add_loss_layer",
                                 detail: "add_loss_layer version \(lossVersion), expected 1")
        }
        let loss = try readLoss()

        // Framing versions from the output down, until the input layer's record starts.
        var frames: [(version: Int, offset: Int)] = []
        var innermost: (version: Int, offset: Int)
        while true {
            let offset = decoder.offset
            let version = try decoder.readInt("layer framing version")
            guard !decoder.isAtEnd else {
                throw ModelLoadError(.truncated, offset: decoder.offset, detail: "the file ends inside the framing")
            }
            if try Self.startsInputRecord(decoder) {
                innermost = (version, offset)
                break
            }
            guard version == Self.layerFrameVersion || version == Self.bareFrameVersion else {
                throw ModelLoadError(.unsupportedVersion, offset: offset, detail: "layer framing version \(version) "
                                         + "at depth \(frames.count); expected 2 (add_layer) or 1 (tag/skip)")
            }
            frames.append((version, offset))
        }

        var nodes: [Node] = [.layer(.input(try readInput()), offset: decoder.offset)]
        // Over the input sits an add_layer (a layer record: a string) or an add_tag_layer (a tensor,
        // which starts with its version 2 = bytes 01 02; no dlib layer tag is 2 characters long).
        let tensorFollows = decoder.remaining >= 2 && decoder.bytes[decoder.offset] == 0x01
            && decoder.bytes[decoder.offset + 1] == 0x02
        if !tensorFollows {
            guard innermost.version == 2 || innermost.version == 3 else {
                throw ModelLoadError(.unsupportedVersion, offset: innermost.offset, layerIndex: 1,
                                     detail: "add_layer over the input has version \(innermost.version), "
                                         + "expected 2 or 3")
            }
            nodes.append(try readLayerNode(index: 1))
            try skipFrameTail(index: 1, overInput: true, version: innermost.version)
        } else {
            // add_tag_layer directly over the input: cached_output, grad_final, a bool, [factor].
            guard innermost.version == 1 || innermost.version == 2 else {
                throw ModelLoadError(.unsupportedVersion, offset: innermost.offset, layerIndex: 1,
                                     detail: "add_tag_layer over the input has version \(innermost.version)")
            }
            nodes.append(.bare(offset: innermost.offset))
            do {
                _ = try decoder.readTensor("cached_output")
                _ = try decoder.readTensor("grad_final")
                _ = try decoder.readBool("gradient_input_is_stale")
                if innermost.version == 2 { _ = try decoder.readInt("sample_expansion_factor") }
            } catch {
                throw error.inLayer(1, tag: "add_tag_layer")
            }
        }

        for frame in frames.reversed() {
            let index = nodes.count
            if frame.version == Self.layerFrameVersion {
                nodes.append(try readLayerNode(index: index))
                try skipFrameTail(index: index, overInput: false, version: frame.version)
            } else {
                nodes.append(.bare(offset: frame.offset))
            }
        }
        guard decoder.isAtEnd else {
            throw ModelLoadError(.trailingBytes, offset: decoder.offset, tag: decoder.peekString(),
                                 detail: "\(decoder.remaining) bytes after the last layer record")
        }
        let layers = try DlibTagResolver.resolve(nodes)
        let network = DlibNetwork(loss: loss, layers: layers)
        do {
            try DlibShapeInference.checkChannels(of: layers)
            if let rows = network.input.rows, let cols = network.input.cols {
                _ = try network.activationShapes(rows: rows, cols: cols)
            }
        } catch {
            // Shape errors name the layer; point them at that layer's record in the file.
            throw error.atOffset(nodes[error.layerIndex ?? 0].offset)
        }
        return network
    }

    /// Whether an input layer's record starts at the cursor: a string beginning with "input"
    /// (or a truncated string whose bytes so far fit that).
    private static func startsInputRecord(_ decoder: DlibDecoder) throws(ModelLoadError) -> Bool {
        var probe = decoder
        let length: UInt64
        do {
            length = try probe.readUnsigned()
        } catch {
            if error.reason == .truncated { throw error }
            return false
        }
        guard length <= 64 else { return false }
        let available = min(Int(length), probe.remaining)
        let text = String(decoding: probe.bytes[probe.offset..<probe.offset + available], as: UTF8.self)
        return length >= 5 && (text.hasPrefix("input") || "input".hasPrefix(text))
    }

    private mutating func readLoss() throws(ModelLoadError) -> DlibLoss {
        let offset = decoder.offset
        let tag = try decoder.readString("loss record tag")
        switch tag {
        case "loss_metric_":
            return .metric(margin: 0.1, distanceThreshold: 0.75)  // dlib's values before they were stored
        case "loss_metric_2":
            let margin = try decoder.readFloat("loss_metric margin")
            let threshold = try decoder.readFloat("loss_metric distance threshold")
            return .metric(margin: margin, distanceThreshold: threshold)
        default:
            throw ModelLoadError(.unknownTag, offset: offset, tag: tag,
                                 detail: "unknown loss record '\(tag)'; this reader knows loss_metric_ and "
                                     + "loss_metric_2")
        }
    }

    private mutating func readInput() throws(ModelLoadError) -> DlibInput {
        let offset = decoder.offset
        let tag = try decoder.readString("input record tag")
        guard tag == "input_rgb_image" || tag == "input_rgb_image_sized" else {
            throw ModelLoadError(.unknownTag, offset: offset, layerIndex: 0, tag: tag,
                                 detail: "unsupported input layer '\(tag)'; this reader knows input_rgb_image(_sized)")
        }
        do {
            let red = try decoder.readFloat("avg_red")
            let green = try decoder.readFloat("avg_green")
            let blue = try decoder.readFloat("avg_blue")
            var input = DlibInput(tag: tag, meanRed: red, meanGreen: green, meanBlue: blue, rows: nil, cols: nil)
            if tag == "input_rgb_image_sized" {
                input.rows = try decoder.readSize("input rows", limit: 1 << 15)
                input.cols = try decoder.readSize("input cols", limit: 1 << 15)
            }
            return input
        } catch {
            throw error.inLayer(0, tag: tag)
        }
    }

    private mutating func readLayerNode(index: Int) throws(ModelLoadError) -> Node {
        let offset = decoder.offset
        let tag = try decoder.readString("layer record tag")
        do {
            if let layer = try DlibLayerRecords.read(tag: tag, from: &decoder, recordOffset: offset) {
                return .layer(layer, offset: offset)
            }
            return .addPrev(offset: offset)
        } catch {
            throw error.inLayer(index, tag: tag)
        }
    }

    /// The training state `add_layer` writes after its layer record; checked for form, then dropped.
    private mutating func skipFrameTail(index: Int, overInput: Bool, version: Int) throws(ModelLoadError) {
        do {
            _ = try decoder.readBool("this_layer_setup_called")
            _ = try decoder.readBool("gradient_input_is_stale")
            _ = try decoder.readBool("get_output_and_gradient_input_disabled")
            _ = try decoder.readTensor("x_grad")
            _ = try decoder.readTensor("cached_output")
            _ = try decoder.readTensor(overInput ? "grad_final" : "params_grad")
            if overInput && version == 3 { _ = try decoder.readInt("sample_expansion_factor") }
        } catch {
            throw error.inLayer(index, tag: "add_layer")
        }
    }
}
