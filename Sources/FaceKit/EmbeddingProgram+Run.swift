import NeuralKernels
import SightlineCore

/// The mutable memory of one thread running an `EmbeddingProgram`: its tensor slots and kernel scratch.
///
/// Everything grows during the first chip and is reused after it: running more chips allocates nothing but
/// the returned descriptors. Not thread-safe: `@unchecked Sendable` only so that a batch can hand each worker
/// thread its own instance; no two threads ever touch one at the same time.
final class EmbeddingBuffers: @unchecked Sendable {
    var slots: [Tensor]
    /// Where a batch's chips are gathered at the switch from one chip at a time to the whole batch.
    var staging: [Tensor]
    let workspace = Workspace()

    init(slotCount: Int) {
        slots = [Tensor](repeating: Tensor(), count: slotCount)
        staging = [Tensor](repeating: Tensor(), count: slotCount)
    }
}

extension EmbeddingProgram {
    /// Runs the program on a batch of interleaved RGB chips of `rows`×`cols` and writes their output vectors,
    /// one after another, to `output` (`chips.count · outputLength` floats).
    ///
    /// Steps before `batchedFrom` run chip by chip; their live tensors are then gathered, chips stacked
    /// vertically, and the remaining steps run on the whole batch: each convolution one GEMM over the pixels of
    /// all chips, so each block of weights is loaded once per batch. When `stepNanos` is given, each step's
    /// thread CPU time is added to `stepNanos[step]` (profiling).
    func run(
        chips: ArraySlice<Image>, buffers: EmbeddingBuffers, output: UnsafeMutableBufferPointer<Float>,
        stepNanos: UnsafeMutablePointer<UInt64>? = nil
    ) {
        let images = chips.count
        precondition(images > 0 && output.count == images * outputLength,
                     "output needs \(images)×\(outputLength) floats")
        let split = images == 1 ? 0 : batchedFrom
        for (image, index) in chips.indices.enumerated() where split > 0 {
            run(steps: 0..<split, chips: chips[index...index], buffers: buffers, stepNanos: stepNanos)
            for (position, boundary) in boundarySlots.enumerated() {
                let shape = boundary.shape
                let single = shape.count
                if image == 0 {
                    buffers.staging[position].reshape(to: TensorShape(height: shape.rows * images, width: shape.cols,
                                                                      channels: shape.channels))
                }
                let source = buffers.slots[boundary.slot]
                precondition(source.shape.count == single, "boundary tensor \(source.shape) is not \(shape)")
                source.withUnsafeBufferPointer { from in
                    buffers.staging[position].withUnsafeMutableBufferPointer { to in
                        _ = UnsafeMutableBufferPointer(rebasing: to[image * single..<(image + 1) * single])
                            .update(fromContentsOf: from)
                    }
                }
            }
        }
        if split > 0 {
            for (position, boundary) in boundarySlots.enumerated() {
                swap(&buffers.slots[boundary.slot], &buffers.staging[position])
            }
        }
        run(steps: split..<steps.count, chips: chips, buffers: buffers, stepNanos: stepNanos)
        buffers.slots[outputSlot].withUnsafeBufferPointer { result in
            _ = output.initialize(from: result)
        }
    }

    private func run(
        steps range: Range<Int>, chips: ArraySlice<Image>, buffers: EmbeddingBuffers,
        stepNanos: UnsafeMutablePointer<UInt64>?
    ) {
        for position in range {
            let start = stepNanos == nil ? 0 : Clocks.threadCPUNanos()
            execute(steps[position].operation, chips: chips, buffers: buffers)
            if let stepNanos { stepNanos[position] &+= Clocks.threadCPUNanos() &- start }
        }
    }

    private func execute(_ operation: Operation, chips: ArraySlice<Image>, buffers: EmbeddingBuffers) {
        let images = chips.count
        switch operation {
        case .input(let mean, let output):
            normalise(chips, mean: mean, into: &buffers.slots[output])
        case .conv(let conv, let input, let residual, let output):
            let source = buffers.slots[input]
            let residualTensor = residual.map { buffers.slots[$0] }
            conv.apply(source, residual: residualTensor, into: &buffers.slots[output], images: images,
                       workspace: buffers.workspace)
        case .affine(let scale, let shift, let perElement, let input, let output):
            if input != output { copy(buffers, from: input, to: output) }
            if perElement {
                Self.affinePerElement(&buffers.slots[output], scale: scale, shift: shift)
            } else {
                Elementwise.affine(&buffers.slots[output], scale: scale, shift: shift)
            }
        case .relu(let input, let output):
            if input != output { copy(buffers, from: input, to: output) }
            Elementwise.relu(&buffers.slots[output])
        case .maxPool(let w, let input, let output):
            let source = buffers.slots[input]
            Pooling.maxPool(source, windowHeight: w.rows, windowWidth: w.cols, strideY: w.strideY, strideX: w.strideX,
                            paddingY: w.padY, paddingX: w.padX, into: &buffers.slots[output], images: images)
        case .avgPool(let w, let input, let output):
            let source = buffers.slots[input]
            Pooling.averagePool(source, windowHeight: w.rows, windowWidth: w.cols, strideY: w.strideY,
                                strideX: w.strideX, paddingY: w.padY, paddingX: w.padX, into: &buffers.slots[output],
                                images: images)
        case .globalAveragePool(let input, let output):
            let source = buffers.slots[input]
            Pooling.globalAveragePool(source, into: &buffers.slots[output], images: images)
        case .add(let a, let b, let relu, let output):
            let first = buffers.slots[a]
            let second = buffers.slots[b]
            Elementwise.residualAdd(first, second, relu: relu, into: &buffers.slots[output], images: images)
        case .fc(let fc, let bias, let input, let output):
            let source = buffers.slots[input]
            fc.apply(source, into: &buffers.slots[output], images: images)
            if !bias.isEmpty {
                buffers.slots[output].withUnsafeMutableBufferPointer { values in
                    for index in values.indices { values[index] += bias[index % bias.count] }
                }
            }
        }
    }

    /// dlib `input_rgb_image`: `(pixel − mean[channel]) / 256`, HWC like the chips, stacked vertically.
    private func normalise(_ chips: ArraySlice<Image>, mean: [Float], into tensor: inout Tensor) {
        tensor.reshape(to: TensorShape(height: rows * chips.count, width: cols, channels: 3))
        let (red, green, blue) = (mean[0], mean[1], mean[2])
        let count = rows * cols * 3
        tensor.withUnsafeMutableBufferPointer { values in
            for (image, chip) in chips.enumerated() {
                precondition(chip.pixels.count == count, "chip must be \(cols)x\(rows) RGB")
                let out = values.baseAddress! + image * count
                chip.pixels.withUnsafeBufferPointer { rgb in
                    var index = 0
                    while index < count {
                        // Dividing by 256 is exact, so this equals dlib's float-minus-then-double-divide.
                        out[index] = (Float(rgb[index]) - red) / 256
                        out[index + 1] = (Float(rgb[index + 1]) - green) / 256
                        out[index + 2] = (Float(rgb[index + 2]) - blue) / 256
                        index += 3
                    }
                }
            }
        }
    }

    private func copy(_ buffers: EmbeddingBuffers, from input: Int, to output: Int) {
        let source = buffers.slots[input]
        buffers.slots[output].reshape(to: source.shape)
        source.withUnsafeBufferPointer { from in
            buffers.slots[output].withUnsafeMutableBufferPointer { to in _ = to.update(fromContentsOf: from) }
        }
    }

    private static func affinePerElement(_ tensor: inout Tensor, scale: [Float], shift: [Float]) {
        precondition(tensor.shape.count % scale.count == 0, "per-element affine size")
        tensor.withUnsafeMutableBufferPointer { values in
            for index in values.indices {
                let element = index % scale.count
                values[index] = scale[element] * values[index] + shift[element]
            }
        }
    }
}
