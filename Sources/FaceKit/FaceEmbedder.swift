import Dispatch
import NeuralKernels
import SightlineCore

/// Computes dlib-compatible face descriptors (128 floats for dlib's face ResNet) for aligned RGB face chips.
///
/// Loads any dlib metric network the reader understands and compiles it once (`EmbeddingProgram`): weights
/// repacked, affine/residual/ReLU fused into the convolutions. Chips run in batches of up to `batchSize`: the
/// early layers (large activations, few weights) chip by chip, the late ones (small activations, megabytes of
/// weights) for the whole batch at once, each convolution one GEMM over all its chips' pixels, so each weight
/// block is loaded once per batch rather than once per face. Each thread keeps its own tensor slots and scratch,
/// reused across calls, so after the first batch embedding allocates only the returned descriptors (for dlib's
/// face ResNet about 3 MB per thread plus 100 KB per chip of `batchSize`). `threads` > 1 splits a call's chips
/// across threads. Not thread-safe: one embedder per caller thread, or guard it.
public final class FaceEmbedder {
    /// The compiled network (shareable between embedders).
    public let program: EmbeddingProgram
    /// Threads used for a call with several chips.
    public let threads: Int
    /// Most chips run through the network together.
    public let batchSize: Int
    private let buffers: [EmbeddingBuffers]

    /// Compiles `network`; `threads` (≥ 1) threads serve a call, each running up to `batchSize` chips at once.
    public init(network: DlibNetwork, threads: Int = 1, batchSize: Int = 16) throws(ModelLoadError) {
        precondition(threads >= 1 && batchSize >= 1, "at least one thread and one chip per batch")
        program = try EmbeddingProgram(network: network)
        self.threads = threads
        self.batchSize = batchSize
        let slotCount = program.slots
        buffers = (0..<threads).map { _ in EmbeddingBuffers(slotCount: slotCount) }
    }

    /// Reads a dlib `.dat` file (e.g. `dlib_face_recognition_resnet_model_v1.dat`) and compiles it.
    public convenience init(contentsOfFile path: String, threads: Int = 1, batchSize: Int = 16) throws(ModelLoadError) {
        try self.init(network: DlibNetwork(contentsOfFile: path), threads: threads, batchSize: batchSize)
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
        let (program, buffers, batchSize) = (self.program, self.buffers, self.batchSize)
        if workers <= 1 {
            Self.embed(chips[...], program: program, buffers: buffers[0], batchSize: batchSize) { results[$0] = $1 }
            return results
        }
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let share = worker * chips.count / workers..<(worker + 1) * chips.count / workers
                Self.embed(chips[share], program: program, buffers: buffers[worker], batchSize: batchSize) {
                    out[$0] = $1
                }
            }
        }
        return results
    }

    /// Runs `chips` as one batch `repetitions` times; returns each step's mean thread CPU time (ns) per batch.
    public func profile(chips: [Image], repetitions: Int) throws(EmbeddingError) -> [(label: String, nanos: Double)] {
        precondition(!chips.isEmpty, "profile needs at least one chip")
        _ = try embed(chips: chips)  // validates the chips and grows the buffers
        var nanos = [UInt64](repeating: 0, count: program.stepCount)
        var output = [Float](repeating: 0, count: program.outputLength * chips.count)
        for _ in 0..<max(1, repetitions) {
            output.withUnsafeMutableBufferPointer { out in
                nanos.withUnsafeMutableBufferPointer { n in
                    program.run(chips: chips[...], buffers: buffers[0], output: out, stepNanos: n.baseAddress)
                }
            }
        }
        return zip(program.stepLabels, nanos).map { ($0, Double($1) / Double(max(1, repetitions))) }
    }

    /// Embeds `chips` in batches of at most `batchSize`, handing each (index, descriptor) to `store`.
    private static func embed(
        _ chips: ArraySlice<Image>, program: EmbeddingProgram, buffers: EmbeddingBuffers, batchSize: Int,
        store: (Int, [Float]) -> Void
    ) {
        let length = program.outputLength
        var start = chips.startIndex
        while start < chips.endIndex {
            let end = min(start + batchSize, chips.endIndex)
            let flat = [Float](unsafeUninitializedCapacity: (end - start) * length) { out, count in
                program.run(chips: chips[start..<end], buffers: buffers, output: out)
                count = (end - start) * length
            }
            for index in start..<end {
                store(index, Array(flat[(index - start) * length..<(index - start + 1) * length]))
            }
            start = end
        }
    }
}
