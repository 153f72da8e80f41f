/// The records dlib writes for each layer kind (dlib/dnn/layers.h), by tag and version.
///
/// Each reader checks the sizes a record states against each other (the alias tensors that view
/// the parameter tensor, the mode fields) and throws `ModelLoadError` at the record's offset.
enum DlibLayerRecords {
    static let tags: Set<String> = [
        "con_4", "con_5", "con_6", "affine_", "affine_2", "bn_con2", "bn_fc2", "relu_", "relu_2",
        "max_pool_2", "avg_pool_2", "add_prev_", "fc_2", "fc_3",
    ]

    /// Reads the record after its tag; nil for `add_prev_` (its tag number is resolved later).
    static func read(tag: String, from decoder: inout DlibDecoder, recordOffset offset: Int)
        throws(ModelLoadError) -> DlibLayer?
    {
        switch tag {
        case "con_4", "con_5", "con_6":
            return .conv(try readConvolution(tag: tag, from: &decoder, offset: offset))
        case "affine_", "affine_2":
            return .affine(try readAffine(tag: tag, from: &decoder, offset: offset))
        case "bn_con2", "bn_fc2":
            return .affine(try readBatchNorm(tag: tag, from: &decoder, offset: offset))
        case "relu_", "relu_2":
            if tag == "relu_2", try decoder.readBool("relu disabled") {
                throw ModelLoadError(.unsupportedVersion, offset: offset, tag: tag, detail: "a disabled relu")
            }
            return .relu
        case "max_pool_2":
            return .maxPool(try readPooling(from: &decoder))
        case "avg_pool_2":
            return .avgPool(try readPooling(from: &decoder))
        case "add_prev_":
            return nil
        case "fc_2", "fc_3":
            return .fc(try readFullyConnected(tag: tag, from: &decoder, offset: offset))
        default:
            throw ModelLoadError(.unknownTag, offset: offset, tag: tag,
                                 detail: "unknown layer record '\(tag)'; known: "
                                     + tags.sorted().joined(separator: " "))
        }
    }

    /// Kernel, pooling window, stride and padding limit (dlib's face networks use at most 7): keeps
    /// activation sizes, and the arithmetic on them, far from overflow.
    static let maxWindow = 4096

    private static func skipLearningRates(_ decoder: inout DlibDecoder) throws(ModelLoadError) {
        for name in ["learning_rate_multiplier", "weight_decay_multiplier", "bias_learning_rate_multiplier",
                     "bias_weight_decay_multiplier"] {
            _ = try decoder.readDouble(name)
        }
    }

    private static func readConvolution(tag: String, from decoder: inout DlibDecoder, offset: Int)
        throws(ModelLoadError) -> DlibConvolution
    {
        let params = try decoder.readTensor("con params")
        let filters = try decoder.readLong("con num_filters")
        let rows = try decoder.readLong("con nr")
        let cols = try decoder.readLong("con nc")
        let strideY = try decoder.readInt("con stride_y")
        let strideX = try decoder.readInt("con stride_x")
        let padY = try decoder.readInt("con padding_y")
        let padX = try decoder.readInt("con padding_x")
        let filterShape = try decoder.readAliasTensor("con filters")
        let biasShape = try decoder.readAliasTensor("con biases")
        try skipLearningRates(&decoder)
        let useBias = tag == "con_4" ? true : try decoder.readBool("con use_bias")
        let useReLU = tag == "con_6" ? try decoder.readBool("con use_relu") : false

        func bad(_ detail: String) -> ModelLoadError {
            ModelLoadError(.malformed, offset: offset, tag: tag, detail: detail)
        }
        guard filters > 0, rows > 0, cols > 0, rows <= Self.maxWindow, cols <= Self.maxWindow, strideY > 0,
              strideX > 0, strideY <= Self.maxWindow, strideX <= Self.maxWindow, padY >= 0, padX >= 0,
              padY < rows, padX < cols
        else {
            throw bad("filters \(filters), kernel \(rows)×\(cols), stride \(strideY)×\(strideX), "
                          + "pad \(padY)×\(padX)")
        }
        guard filterShape.n == filters, filterShape.nr == rows, filterShape.nc == cols, filterShape.k > 0 else {
            throw bad("filter tensor \(filterShape) does not match \(filters) filters of \(rows)×\(cols)")
        }
        let biasCount = useBias ? filters : 0
        if useBias {
            guard biasShape.count == filters else { throw bad("bias tensor \(biasShape) for \(filters) filters") }
        }
        guard params.values.count == filterShape.count + biasCount else {
            throw bad("params has \(params.values.count) values, filters \(filterShape.count) + biases \(biasCount)")
        }
        return DlibConvolution(
            filters: filters, inputChannels: filterShape.k, kernelRows: rows, kernelCols: cols,
            strideY: strideY, strideX: strideX, padY: padY, padX: padX,
            weights: Array(params.values[0..<filterShape.count]),
            biases: Array(params.values[filterShape.count...]), fusedReLU: useReLU)
    }

    private static func readAffine(tag: String, from decoder: inout DlibDecoder, offset: Int)
        throws(ModelLoadError) -> DlibAffine
    {
        let params = try decoder.readTensor("affine params")
        let gammaShape = try decoder.readAliasTensor("affine gamma")
        let betaShape = try decoder.readAliasTensor("affine beta")
        let mode = try decoder.readInt("affine mode")
        if tag == "affine_2", try decoder.readBool("affine disabled") {
            throw ModelLoadError(.unsupportedVersion, offset: offset, tag: tag, detail: "a disabled affine layer")
        }
        let count = gammaShape.count
        guard mode == 0 || mode == 1, count > 0, betaShape == gammaShape, params.values.count == 2 * count else {
            throw ModelLoadError(.malformed, offset: offset, tag: tag, detail: "mode \(mode), gamma \(gammaShape), "
                                     + "beta \(betaShape), params \(params.values.count) values")
        }
        return DlibAffine(gamma: Array(params.values[0..<count]), beta: Array(params.values[count...]),
                          perElement: mode == 1)
    }

    /// A batch-norm record, folded into the affine transform dlib builds from it for inference:
    /// gamma' = gamma / sqrt(running_variance + eps), beta' = beta − gamma' · running_mean.
    private static func readBatchNorm(tag: String, from decoder: inout DlibDecoder, offset: Int)
        throws(ModelLoadError) -> DlibAffine
    {
        let params = try decoder.readTensor("bn params")
        let gammaShape = try decoder.readAliasTensor("bn gamma")
        let betaShape = try decoder.readAliasTensor("bn beta")
        _ = try decoder.readTensor("bn means")
        _ = try decoder.readTensor("bn invstds")
        let runningMeans = try decoder.readTensor("bn running_means")
        let runningVariances = try decoder.readTensor("bn running_variances")
        _ = try decoder.readUnsigned("bn num_updates")
        _ = try decoder.readUnsigned("bn running_stats_window_size")
        try skipLearningRates(&decoder)
        let eps = try decoder.readDouble("bn eps")
        let count = gammaShape.count
        guard count > 0, betaShape == gammaShape, params.values.count == 2 * count,
              runningMeans.values.count == count, runningVariances.values.count == count
        else {
            throw ModelLoadError(.malformed, offset: offset, tag: tag, detail: "gamma \(gammaShape), params "
                                     + "\(params.values.count), running stats \(runningMeans.values.count)")
        }
        var gamma = [Float](repeating: 0, count: count)
        var beta = [Float](repeating: 0, count: count)
        for index in 0..<count {
            gamma[index] = params.values[index] / (runningVariances.values[index] + Float(eps)).squareRoot()
            beta[index] = params.values[count + index] - gamma[index] * runningMeans.values[index]
        }
        return DlibAffine(gamma: gamma, beta: beta, perElement: tag == "bn_fc2")
    }

    private static func readPooling(from decoder: inout DlibDecoder) throws(ModelLoadError) -> DlibPooling {
        let start = decoder.offset
        let pooling = DlibPooling(
            rows: try decoder.readLong("pool nr"), cols: try decoder.readLong("pool nc"),
            strideY: try decoder.readInt("pool stride_y"), strideX: try decoder.readInt("pool stride_x"),
            padY: try decoder.readInt("pool padding_y"), padX: try decoder.readInt("pool padding_x"))
        let limit = Self.maxWindow
        guard pooling.rows >= 0, pooling.cols >= 0, pooling.rows <= limit, pooling.cols <= limit,
              pooling.strideY > 0, pooling.strideX > 0, pooling.strideY <= limit, pooling.strideX <= limit,
              pooling.padY >= 0, pooling.padX >= 0, pooling.padY <= limit, pooling.padX <= limit
        else { throw ModelLoadError(.malformed, offset: start, detail: "pooling geometry \(pooling)") }
        return pooling
    }

    private static func readFullyConnected(tag: String, from decoder: inout DlibDecoder, offset: Int)
        throws(ModelLoadError) -> DlibFullyConnected
    {
        let outputs = try decoder.readSize("fc num_outputs", limit: Int(Int32.max))
        let inputs = try decoder.readSize("fc num_inputs", limit: Int(Int32.max))
        let params = try decoder.readTensor("fc params")
        let weightShape = try decoder.readAliasTensor("fc weights")
        let biasShape = try decoder.readAliasTensor("fc biases")
        let biasMode = try decoder.readInt("fc bias_mode")
        try skipLearningRates(&decoder)
        let useBias = tag == "fc_3" ? try decoder.readBool("fc use_bias") : true
        let hasBias = biasMode == 0 && useBias
        let (weightCount, overflow) = inputs.multipliedReportingOverflow(by: outputs)  // each below 2^31
        guard !overflow, biasMode == 0 || biasMode == 1, outputs > 0, inputs > 0, weightShape.count == weightCount,
              weightShape.n == inputs, !hasBias || biasShape.count == outputs,
              params.values.count == weightCount + (hasBias ? outputs : 0)
        else {
            throw ModelLoadError(.malformed, offset: offset, tag: tag, detail: "fc \(inputs)→\(outputs), bias mode "
                                     + "\(biasMode), weights \(weightShape), params \(params.values.count) values")
        }
        return DlibFullyConnected(outputs: outputs, inputs: inputs, weights: Array(params.values[0..<weightCount]),
                                  biases: Array(params.values[weightCount...]))
    }
}
