import Dispatch
import NeuralKernels
import SightlineCore

/// Computes dlib-compatible face descriptors (128 floats for dlib's face ResNet) for aligned RGB face chips.
///
/// Loads any dlib metric network the reader understands and compiles it once (`EmbeddingProgram`): weights
/// repacked, affine/residual/ReLU fused into the convolutions. Each thread keeps its own tensor slots and
/// scratch, reused across calls, so after the first chip embedding allocates only the returned descriptors.
/// `threads` > 1 splits a batch of chips across threads (one chip per thread at a time); a single chip always
/// runs on the calling thread. Not thread-safe: one embedder per caller thread, or guard it.
public final class FaceEmbedder {
    /// The compiled network (shareable between embedders).
    public let program: EmbeddingProgram
    /// Threads used for a batch.
    public let threads: Int
    private var buffers: [EmbeddingBuffers]

    /// Compiles `network`; `threads` (≥ 1) threads serve a batch.
    public init(network: DlibNetwork, threads: Int = 1) throws(ModelLoadError) {
        precondition(threads >= 1, "at least one thread")
        program = try EmbeddingProgram(network: network)
        self.threads = threads
        buffers = (0..<threads).map { _ in EmbeddingBuffers(slotCount: 0) }
        let slotCount = program.slots
        for buffer in buffers { buffer.slots = [Tensor](repeating: Tensor(), count: slotCount) }
    }

    /// Reads a dlib `.dat` file (e.g. `dlib_face_recognition_resnet_model_v1.dat`) and compiles it.
    public convenience init(contentsOfFile path: String, threads: Int = 1) throws(ModelLoadError) {
        try self.init(network: DlibNetwork(contentsOfFile: path), threads: threads)
    }

    /// The SIMD target the kernels were compiled for, e.g. `avx512 8x32 fma` (see NeuralKernels' README).
    public static var kernelTarget: String { KernelTarget.description }

    /// Chip width and height the network takes (150×150 for dlib's face ResNet).
    public var chipSize: (width: Int, height: Int) { (program.cols, program.rows) }

    /// The descriptor of one chip.
    public func embed(chip: Image) throws(EmbeddingError) -> [Float] {
        try embed(chips: [chip])[0]
    }

    /// One descriptor per chip, in order. Every chip must be `chipSize` RGB (3 channels).
    public func embed(chips: [Image]) throws(EmbeddingError) -> [[Float]] {
        for (index, chip) in chips.enumerated() where chip.width != program.cols || chip.height != program.rows
            || chip.channels != 3 {
            throw .wrongChipShape(index: index, width: chip.width, height: chip.height, channels: chip.channels,
                                  expectedWidth: program.cols, expectedHeight: program.rows)
        }
        var results = [[Float]](repeating: [], count: chips.count)
        let workers = min(threads, chips.count)
        if workers <= 1 {
            for index in chips.indices { results[index] = embedOne(chips[index], buffers[0]) }
            return results
        }
        let program = self.program
        let buffers = self.buffers
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var index = worker
                while index < chips.count {
                    out[index] = Self.embed(chips[index], program: program, buffers: buffers[worker])
                    index += workers
                }
            }
        }
        return results
    }

    /// Runs one chip `repetitions` times and returns each step's mean thread CPU time (ns) with its label.
    public func profile(chip: Image, repetitions: Int) throws(EmbeddingError) -> [(label: String, nanos: Double)] {
        _ = try embed(chips: [chip])
        var nanos = [UInt64](repeating: 0, count: program.stepCount)
        var output = [Float](repeating: 0, count: program.outputLength)
        for _ in 0..<max(1, repetitions) {
            chip.pixels.withUnsafeBufferPointer { rgb in
                output.withUnsafeMutableBufferPointer { out in
                    nanos.withUnsafeMutableBufferPointer { n in
                        program.run(rgb: rgb, buffers: buffers[0], output: out, stepNanos: n.baseAddress)
                    }
                }
            }
        }
        return zip(program.stepLabels, nanos).map { ($0, Double($1) / Double(max(1, repetitions))) }
    }

    private func embedOne(_ chip: Image, _ buffers: EmbeddingBuffers) -> [Float] {
        Self.embed(chip, program: program, buffers: buffers)
    }

    private static func embed(_ chip: Image, program: EmbeddingProgram, buffers: EmbeddingBuffers) -> [Float] {
        [Float](unsafeUninitializedCapacity: program.outputLength) { out, count in
            chip.pixels.withUnsafeBufferPointer { rgb in program.run(rgb: rgb, buffers: buffers, output: out) }
            count = program.outputLength
        }
    }
}
