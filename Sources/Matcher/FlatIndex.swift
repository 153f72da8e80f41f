import Synchronization

/// An exact nearest-neighbour index over vectors of one dimension, scanned with SIMD kernels.
///
/// Storage: the scanned copy is kept in blocks of 64 vectors, dimension-major inside a block, in the
/// configured `StorageFormat`. The float16 and int8 formats also keep an exact float32 copy (row-major,
/// 4·d bytes per vector beside the 2·d or 1·d bytes scanned) that only the re-rank of candidates touches,
/// so a search streams the compact copy and returns float32's answer. Memory per vector: f32 4d+8,
/// f16 6d+12, i8 5d+16 bytes (plus the id map).
///
/// Add and remove are O(d) amortised: removal moves the last vector into the freed slot.
///
/// Not `Sendable`: `add` and `remove` are unsynchronised (a lock on the search path would cost every query), so
/// one owner mutates it. Searches only read, and may run concurrently with each other (a search spreads over
/// `configuration.threads` itself). To share an index across tasks, build it, stop mutating it, and hand out an
/// immutable owner such as `GalleryMatcher`, which is `Sendable` for that reason.
public final class FlatIndex {
    /// Dimension, metric, format, threads.
    public let configuration: IndexConfiguration
    /// Number of stored vectors.
    public private(set) var count = 0

    var ids: [UInt64] = []
    var slotOf: [UInt64: Int] = [:]
    let f32: BlockedBuffer<Float>?
    let f16: BlockedBuffer<Float16>?
    /// int8 codes stored offset by 128 (`code + 128`, the unsigned operand of `vpdpbusd`); padding is 128 (code 0).
    let i8: BlockedBuffer<UInt8>?
    /// Row-major exact copy, compact formats only.
    var exactRows: [Float] = []
    /// Squared L2 norm of each stored (normalised, for cosine) vector, one lane per slot.
    let squaredNorms: BlockedBuffer<Float>
    /// Int8 scale of each slot.
    let scales: BlockedBuffer<Float>
    /// Largest squared norm ever stored (kept on removal: a bound only needs to be conservative).
    var maxSquaredNorm: Float = 0
    /// Searches begun, for the float32 scan's direction (see `scanCanonical`). The only state a search writes:
    /// an atomic counter, relaxed, so concurrent searches stay race-free.
    let searchTurns = Atomic<Int>(0)
    /// Blocks per thread below which a search stays on one thread (tests lower it).
    var parallelGrain = 1024
    /// The int8 screen's kernel (tests pick each one this CPU supports; all give the same screening distances). A
    /// kernel the CPU cannot run falls back to the portable one in C.
    var screenKernel = Int8Kernel.selected
    /// Largest ‖x − x̂‖ (quantisation error) ever stored.
    var maxQuantizationError: Double = 0

    /// Creates an empty index.
    public init(configuration: IndexConfiguration) {
        self.configuration = configuration
        let d = configuration.dimension
        f32 = configuration.format == .float32 ? BlockedBuffer(dimension: d, zero: 0) : nil
        f16 = configuration.format == .float16 ? BlockedBuffer(dimension: d, zero: 0) : nil
        precondition(configuration.format != .int8 || d <= 65_536, "int8 indices hold at most 65536 dimensions")
        i8 = configuration.format == .int8 ? BlockedBuffer(dimension: d, zero: 128, group: 4) : nil
        squaredNorms = BlockedBuffer(dimension: 1, zero: 0)
        scales = BlockedBuffer(dimension: 1, zero: 0)
    }

    /// Convenience: `FlatIndex(configuration: IndexConfiguration(dimension:metric:format:threads:))`.
    public convenience init(
        dimension: Int, metric: DistanceMetric = .squaredL2, format: StorageFormat = .float32, threads: Int = 1
    ) {
        self.init(configuration: IndexConfiguration(dimension: dimension, metric: metric, format: format,
                                                    threads: threads))
    }

    var dimension: Int { configuration.dimension }
    var blockCount: Int { (count + blockWidth - 1) / blockWidth }

    /// Whether `id` is stored.
    public func contains(_ id: UInt64) -> Bool { slotOf[id] != nil }

    /// Stored ids, in slot order (not sorted).
    public var storedIDs: [UInt64] { ids }

    /// Checks length and finiteness; returns the vector as stored (normalised for cosine).
    func prepared(_ vector: [Float]) throws(MatcherError) -> [Float] {
        guard vector.count == dimension else { throw .dimensionMismatch(expected: dimension, got: vector.count) }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteValue(index: bad) }
        guard configuration.metric == .cosine else { return vector }
        var sum: Double = 0
        for v in vector { sum += Double(v) * Double(v) }
        guard sum > 0 else { throw .unrepresentable("a zero vector has no direction for the cosine metric") }
        let inverse = 1 / sum.squareRoot()
        return vector.map { Float(Double($0) * inverse) }
    }

    /// Adds `vector` under `id`. Throws on a wrong dimension, NaN/infinity, a duplicate id, or a value the
    /// format cannot hold.
    public func add(id: UInt64, vector: [Float]) throws(MatcherError) {
        guard slotOf[id] == nil else { throw .duplicateID(id) }
        let x = try prepared(vector)
        let slot = count
        let blocks = slot / blockWidth + 1
        var quantizationError: Double = 0
        var scale: Float = 0
        switch configuration.format {
        case .float32:
            f32!.reserve(blocks: blocks)
            x.withUnsafeBufferPointer { f32!.store(slot: slot, $0) }
        case .float16:
            guard x.allSatisfy({ abs($0) <= Float(Float16.greatestFiniteMagnitude) }) else {
                throw .unrepresentable("a component exceeds float16's range (±65504)")
            }
            let halves = x.map { Float16($0) }
            for j in 0..<dimension {
                let e = Double(x[j]) - Double(Float(halves[j]))
                quantizationError += e * e
            }
            f16!.reserve(blocks: blocks)
            halves.withUnsafeBufferPointer { f16!.store(slot: slot, $0) }
        case .int8:
            let maxAbs = x.reduce(Float(0)) { max($0, abs($1)) }
            scale = maxAbs / 127
            let codes: [Int8] = x.map { v in
                guard scale > 0 else { return 0 }
                return Int8(max(-127, min(127, (v / scale).rounded())))
            }
            for j in 0..<dimension {
                let e = Double(x[j]) - Double(scale) * Double(codes[j])
                quantizationError += e * e
            }
            i8!.reserve(blocks: blocks)
            codes.map { UInt8(Int($0) + 128) }.withUnsafeBufferPointer { i8!.store(slot: slot, $0) }
        }
        if configuration.format != .float32 { exactRows.append(contentsOf: x) }
        var norm: Float = 0
        for v in x { norm = norm.addingProduct(v, v) }
        squaredNorms.reserve(blocks: blocks)
        scales.reserve(blocks: blocks)
        [norm].withUnsafeBufferPointer { squaredNorms.store(slot: slot, $0) }
        [scale].withUnsafeBufferPointer { scales.store(slot: slot, $0) }
        maxSquaredNorm = max(maxSquaredNorm, norm)
        maxQuantizationError = max(maxQuantizationError, quantizationError.squareRoot() * (1 + 1e-6))
        ids.append(id)
        slotOf[id] = slot
        count += 1
    }

    /// Removes `id`; returns whether it was stored. The last vector moves into the freed slot and the last
    /// slot is zeroed, so no copy of the removed vector stays in the scanned storage.
    @discardableResult
    public func remove(id: UInt64) -> Bool {
        guard let slot = slotOf.removeValue(forKey: id) else { return false }
        let last = count - 1
        if slot != last {
            f32?.move(from: last, to: slot)
            f16?.move(from: last, to: slot)
            i8?.move(from: last, to: slot)
            squaredNorms.move(from: last, to: slot)
            scales.move(from: last, to: slot)
            let d = dimension
            exactRows.withUnsafeMutableBufferPointer { rows in
                guard !rows.isEmpty else { return }
                for j in 0..<d { rows[slot * d + j] = rows[last * d + j] }
            }
            ids[slot] = ids[last]
            slotOf[ids[slot]] = slot
        }
        f32?.clear(slot: last)
        f16?.clear(slot: last)
        i8?.clear(slot: last)
        squaredNorms.clear(slot: last)
        scales.clear(slot: last)
        if !exactRows.isEmpty { exactRows.removeLast(dimension) }
        ids.removeLast()
        count -= 1
        return true
    }

    /// The stored float32 vector of `id` (normalised for cosine), or nil.
    public func vector(id: UInt64) -> [Float]? {
        guard let slot = slotOf[id] else { return nil }
        return exactVector(slot: slot)
    }

    func exactVector(slot: Int) -> [Float] {
        if let f32 { return (0..<dimension).map { f32.component(slot: slot, $0) } }
        return Array(exactRows[slot * dimension ..< (slot + 1) * dimension])
    }
}

/// Explicitly not `Sendable` (see `FlatIndex`): the compiler refuses to send one across isolation domains.
@available(*, unavailable)
extension FlatIndex: Sendable {}
