import NeuralKernels
import SightlineCore

/// The mutable memory of one thread running an `EmbeddingProgram`: its tensor slots and kernel scratch.
///
/// Everything grows during the first chip and is reused after it: running more chips allocates nothing but
/// the returned descriptors. Not thread-safe: `@unchecked Sendable` only so that a batch can hand each worker
/// thread its own instance; no two threads ever touch one at the same time.
final class EmbeddingBuffers: @unchecked Sendable {
    var slots: [Tensor]
    let workspace = Workspace()

    init(slotCount: Int) {
        slots = [Tensor](repeating: Tensor(), count: slotCount)
    }
}

extension EmbeddingProgram {
    /// Runs the program on one interleaved RGB chip of `rows`×`cols` and writes the output vector to `output`.
    ///
    /// When `stepNanos` is given, each step's thread CPU time is added to `stepNanos[step]` (profiling).
    func run(
        rgb: UnsafeBufferPointer<UInt8>, buffers: EmbeddingBuffers, output: UnsafeMutableBufferPointer<Float>,
        stepNanos: UnsafeMutablePointer<UInt64>? = nil
    ) {
        precondition(rgb.count == rows * cols * 3, "chip must be \(cols)x\(rows) RGB")
        precondition(output.count == outputLength, "output needs \(outputLength) floats")
        for (position, step) in steps.enumerated() {
            let start = stepNanos == nil ? 0 : Clocks.threadCPUNanos()
            execute(step.operation, rgb: rgb, buffers: buffers)
            if let stepNanos { stepNanos[position] &+= Clocks.threadCPUNanos() &- start }
        }
        buffers.slots[outputSlot].withUnsafeBufferPointer { result in
            _ = output.initialize(from: result)
        }
    }

    private func execute(_ operation: Operation, rgb: UnsafeBufferPointer<UInt8>, buffers: EmbeddingBuffers) {
        switch operation {
        case .input(let mean, let output):
            normalise(rgb, mean: mean, into: &buffers.slots[output])
        case .conv(let conv, let input, let residual, let output):
            let source = buffers.slots[input]
            let residualTensor = residual.map { buffers.slots[$0] }
            conv.apply(source, residual: residualTensor, into: &buffers.slots[output], workspace: buffers.workspace)
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
                            paddingY: w.padY, paddingX: w.padX, into: &buffers.slots[output])
        case .avgPool(let w, let input, let output):
            let source = buffers.slots[input]
            Pooling.averagePool(source, windowHeight: w.rows, windowWidth: w.cols, strideY: w.strideY,
                                strideX: w.strideX, paddingY: w.padY, paddingX: w.padX, into: &buffers.slots[output])
        case .globalAveragePool(let input, let output):
            let source = buffers.slots[input]
            Pooling.globalAveragePool(source, into: &buffers.slots[output])
        case .add(let a, let b, let relu, let output):
            let first = buffers.slots[a]
            let second = buffers.slots[b]
            Elementwise.residualAdd(first, second, relu: relu, into: &buffers.slots[output])
        case .fc(let fc, let bias, let input, let output):
            let source = buffers.slots[input]
            fc.apply(source, into: &buffers.slots[output])
            if !bias.isEmpty {
                buffers.slots[output].withUnsafeMutableBufferPointer { values in
                    for o in 0..<bias.count { values[o] += bias[o] }
                }
            }
        }
    }

    /// dlib `input_rgb_image`: `(pixel − mean[channel]) / 256`, HWC like the chip itself.
    private func normalise(_ rgb: UnsafeBufferPointer<UInt8>, mean: [Float], into tensor: inout Tensor) {
        tensor.reshape(to: TensorShape(height: rows, width: cols, channels: 3))
        let (red, green, blue) = (mean[0], mean[1], mean[2])
        tensor.withUnsafeMutableBufferPointer { values in
            var index = 0
            while index < rgb.count {
                // Dividing by 256 is exact, so this equals dlib's float-minus-then-double-divide.
                values[index] = (Float(rgb[index]) - red) / 256
                values[index + 1] = (Float(rgb[index + 1]) - green) / 256
                values[index + 2] = (Float(rgb[index + 2]) - blue) / 256
                index += 3
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
        precondition(scale.count == tensor.shape.count, "per-element affine size")
        tensor.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] = scale[index] * values[index] + shift[index] }
        }
    }
}
