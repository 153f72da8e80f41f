import CMatcherKernels
import Dispatch

extension FlatIndex {
    /// The `k` nearest stored vectors to `query`, nearest first; equal distances are ordered by id.
    ///
    /// Exact for every format: the result is the same as a float32 scan's (compact formats screen, then
    /// re-rank candidates in float32 and prove with an error bound that no other vector can enter; when the
    /// proof fails a second pass collects every vector the bound admits). Distances are squared L2, or cosine
    /// distance for `.cosine`. Returns fewer than `k` results when the index holds fewer vectors.
    public func search(_ query: [Float], k: Int) throws(MatcherError) -> [Neighbor] {
        precondition(k >= 1, "k must be at least 1")
        let q = try prepared(query)
        guard count > 0 else { return [] }
        return q.withUnsafeBufferPointer { searchPrepared($0.baseAddress!, k: min(k, count)) }
    }

    func searchPrepared(_ q: UnsafePointer<Float>, k: Int) -> [Neighbor] {
        if configuration.format == .float32 {
            let backward = searchTurns.wrappingAdd(1, ordering: .relaxed).oldValue & 1 == 1
            return neighbors(parallelScan(q, keep: k) { index, q, range, top in
                index.scanCanonical(q, range, backward: backward, &top)
            })
        }
        let query = ScreenQuery(q, dimension: dimension, format: configuration.format)
        let screened = parallelScan(q, keep: screenKeep(k)) { index, _, range, top in index.screen(query, range, &top) }
        return finish(query, screened: screened, k: k)
    }

    /// Candidates a compact screen keeps for `k` answers. The certificate needs the last kept screening distance
    /// to clear the k-th exact distance by the error bound; neighbours crowd closer in large galleries, so
    /// those keep more (a failed certificate costs a second full pass, a longer list only a few re-ranks).
    func screenKeep(_ k: Int) -> Int { k + (count > 65_536 ? 31 : 7) }

    /// Re-ranks screened candidates exactly and certifies them; falls back to a collecting pass.
    ///
    /// Candidates are re-ranked in screening order, and only as far as needed: once `k` are re-ranked with
    /// k-th canonical distance `D`, a candidate whose screening distance exceeds the admission threshold of `D`
    /// proves that neither it nor anything after it (nor anything the screen dropped, which screened no lower)
    /// can enter the top `k`. When every candidate is re-ranked without that proof, the collecting pass runs.
    func finish(_ query: ScreenQuery, screened: TopK, k: Int) -> [Neighbor] {
        let q = query.vector, d = dimension
        var reranked = TopK(k: k)
        var proven = false
        withRows { row, stride in
            ids.withUnsafeBufferPointer { ids in
                for m in 0..<screened.count {
                    if reranked.count == k {
                        let admit = admissionThreshold(kthDistance: reranked.distance(k - 1),
                                                       squaredQuery: query.squaredNorm,
                                                       queryError: query.quantizationError)
                        if screened.distance(m) > admit {
                            proven = true
                            return
                        }
                    }
                    let slot = screened.slot(m)
                    let c = Reference.canonicalL2(q, row(slot), dimension: d, stride: stride)
                    reranked.offer(c, slot: slot, id: ids[slot])
                }
            }
        }
        // Proven, or the screen kept every vector (fewer than its capacity).
        if proven || screened.count < screened.k { return neighbors(reranked) }
        let admit = admissionThreshold(kthDistance: reranked.distance(k - 1), squaredQuery: query.squaredNorm,
                                       queryError: query.quantizationError)
        var slots: [Int] = []
        collect(query, threshold: admit, into: &slots)
        return neighbors(rerank(q, slots: slots, k: k))
    }

    func neighbors(_ top: TopK) -> [Neighbor] {
        let half = configuration.metric == .cosine
        return (0..<top.count).map {
            Neighbor(id: top.id($0), distance: half ? top.distance($0) / 2 : top.distance($0))
        }
    }

    /// Splits the blocks over `configuration.threads` threads when the index is large, merging the results.
    func parallelScan(
        _ q: UnsafePointer<Float>, keep: Int,
        _ body: @Sendable (FlatIndex, UnsafePointer<Float>, Range<Int>, inout TopK) -> Void
    ) -> TopK {
        let blocks = blockCount
        let threads = min(configuration.threads, max(1, blocks / parallelGrain))
        if threads == 1 {
            var top = TopK(k: keep)
            body(self, q, 0..<blocks, &top)
            return top
        }
        let results = UnsafeMutableBufferPointer<TopK>.allocate(capacity: threads)
        defer { results.deallocate() }
        // The threads only read the index (a search mutates nothing), each into its own result slot.
        let box = UnsafeSendable(results), query = UnsafeSendable(q), index = UnsafeSendable(self)
        let per = (blocks + threads - 1) / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var top = TopK(k: keep)
            body(index.value, query.value, min(blocks, t * per) ..< min(blocks, (t + 1) * per), &top)
            (box.value.baseAddress! + t).initialize(to: top)
        }
        var merged = results[0]
        for t in 1..<threads { merged.merge(results[t]) }
        _ = results.deinitialize()
        return merged
    }

    /// Offers the lanes of 16 distances (slots `first ..< first + 16`) that may enter `top`.
    @inline(__always)
    func offer(_ distances: SIMD16<Float>, first: Int, _ top: inout TopK) {
        guard anyLane(distances, atMost: top.bound) else { return }
        for lane in 0..<16 where distances[lane] <= top.bound {
            let slot = first &+ lane
            if slot < count { top.offer(distances[lane], slot: slot, id: ids[slot]) }
        }
    }

    /// Offers the 64 distances of block `block`.
    @inline(__always)
    func offer(_ lanes: BlockLanes, block: Int, _ top: inout TopK) {
        guard anyLane(lanes, atMost: top.bound) else { return }
        let first = block &* blockWidth
        offer(lanes.0, first: first, &top)
        offer(lanes.1, first: first &+ 16, &top)
        offer(lanes.2, first: first &+ 32, &top)
        offer(lanes.3, first: first &+ 48, &top)
    }

    /// Canonical float32 scan of `blocks` (the exact answer directly), first block to last or, when `backward`,
    /// last to first.
    ///
    /// Consecutive searches alternate the direction (`searchTurns`): a gallery larger than the core's L2 (2 MiB
    /// here, 4 096 vectors of 128 floats) is otherwise read whole from L3 or memory by every search, since a
    /// forward scan evicts its own beginning; turned around, a search starts on the blocks the previous one
    /// read last, still in L2. The answer does not depend on the order (`TopK` orders ties by id).
    func scanCanonical(_ q: UnsafePointer<Float>, _ blocks: Range<Int>, backward: Bool = false, _ top: inout TopK) {
        let base = f32!.base, size = dimension &* blockWidth, d = dimension
        if backward {
            for b in blocks.reversed() {
                offer(ScanKernels.l2(query: q, block: base + b &* size, dimension: d), block: b, &top)
            }
            return
        }
        for b in blocks {
            offer(ScanKernels.l2(query: q, block: base + b &* size, dimension: d), block: b, &top)
        }
    }

    /// Approximate squared L2, `‖x‖² + ‖q‖² − 2 q·x̂`, of 16 compact vectors (slots `first ..< first + 16`)
    /// from their dot products (for int8, `q̂·n` of the codes, scaled here by both scales).
    @inline(__always)
    func screened(_ dots: SIMD16<Float>, first: Int, query: ScreenQuery) -> SIMD16<Float> {
        let norms = UnsafeRawPointer(squaredNorms.base + first).loadUnaligned(as: SIMD16<Float>.self)
        var dot = dots
        if configuration.format == .int8 {
            let slotScales = UnsafeRawPointer(scales.base + first).loadUnaligned(as: SIMD16<Float>.self)
            dot *= slotScales * SIMD16(repeating: query.scale)
        }
        return (norms + SIMD16(repeating: query.squaredNorm)).addingProduct(SIMD16(repeating: -2), dot)
    }

    /// Calls `body(first, approximateDistances)` for each 16-vector group of the compact copy in `blocks`.
    @inline(__always)
    func forEachScreened(_ query: ScreenQuery, _ blocks: Range<Int>, _ body: (Int, SIMD16<Float>) -> Void) {
        @inline(__always)
        func emit(_ dots: BlockLanes, _ b: Int) {
            let first = b &* blockWidth
            body(first, screened(dots.0, first: first, query: query))
            body(first &+ 16, screened(dots.1, first: first &+ 16, query: query))
            body(first &+ 32, screened(dots.2, first: first &+ 32, query: query))
            body(first &+ 48, screened(dots.3, first: first &+ 48, query: query))
        }
        if let f16 {
            let base = f16.base, d = dimension, size = d &* blockWidth, q = query.vector
            for b in blocks { emit(ScanKernels.dotF16(query: q, block: base + b &* size, dimension: d), b) }
        }
    }

    /// Screens the compact copy, keeping the best approximate distances.
    func screen(_ query: ScreenQuery, _ blocks: Range<Int>, _ top: inout TopK) {
        guard configuration.format == .int8 else {
            forEachScreened(query, blocks) { first, distances in offer(distances, first: first, &top) }
            return
        }
        let count = count
        ids.withUnsafeBufferPointer { ids in
            screenInt8(query, blocks) { first, found, slots, distances in
                for i in 0..<found {
                    let slot = Int(slots[i])
                    if slot < count, distances[i] <= top.bound { top.offer(distances[i], slot: slot, id: ids[slot]) }
                }
                return top.bound
            }
        }
    }

    /// Runs the int8 screen (CMatcherKernels) over `blocks` in chunks: `body(firstBlock, found, slots, distances)`
    /// receives the slots whose screening distance is at most the bound `body` returned last (`initialBound` at
    /// first). The first chunk is one block, so a top-k bound is finite before the larger chunks.
    @inline(__always)
    func screenInt8(
        _ query: ScreenQuery, _ blocks: Range<Int>, initialBound: Float = .infinity,
        _ body: (Int, Int, UnsafePointer<UInt32>, UnsafePointer<Float>) -> Float
    ) {
        guard let i8 else { return }
        let quads = i8.dimension / 4, chunkLimit = 16
        let base = UnsafePointer(i8.base)
        let norms = UnsafePointer(squaredNorms.base), slotScales = UnsafePointer(scales.base)
        query.codes.withUnsafeBufferPointer { codes in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: chunkLimit * blockWidth) { slots in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: chunkLimit * blockWidth) { distances in
                    var bound = initialBound
                    var b = blocks.lowerBound, chunk = 1
                    while b < blocks.upperBound {
                        let n = min(chunk, blocks.upperBound &- b)
                        let found = slm_screen_i8(
                            base, quads, b, n, codes.baseAddress!, norms, slotScales, query.scale,
                            query.squaredNorm, bound, screenKernel.rawValue, slots.baseAddress!,
                            distances.baseAddress!)
                        bound = body(b, found, slots.baseAddress!, distances.baseAddress!)
                        b &+= n
                        chunk = chunkLimit
                    }
                }
            }
        }
    }

    /// Every slot whose approximate distance is at most `threshold` (the fallback pass).
    func collect(_ query: ScreenQuery, threshold: Float, into slots: inout [Int]) {
        if configuration.format == .float32 {
            let q = query.vector
            let base = f32!.base, size = dimension &* blockWidth
            for b in 0..<blockCount {
                let lanes = ScanKernels.l2(query: q, block: base + b &* size, dimension: dimension)
                let first = b &* blockWidth
                appendLanes(lanes.0, first: first, threshold: threshold, &slots)
                appendLanes(lanes.1, first: first &+ 16, threshold: threshold, &slots)
                appendLanes(lanes.2, first: first &+ 32, threshold: threshold, &slots)
                appendLanes(lanes.3, first: first &+ 48, threshold: threshold, &slots)
            }
            return
        }
        if configuration.format == .int8 {
            let count = count
            screenInt8(query, 0..<blockCount, initialBound: threshold) { _, found, candidates, _ in
                for i in 0..<found where Int(candidates[i]) < count { slots.append(Int(candidates[i])) }
                return threshold
            }
            return
        }
        forEachScreened(query, 0..<blockCount) { first, distances in
            appendLanes(distances, first: first, threshold: threshold, &slots)
        }
    }

    @inline(__always)
    func appendLanes(_ distances: SIMD16<Float>, first: Int, threshold: Float, _ slots: inout [Int]) {
        guard anyLane(distances, atMost: threshold) else { return }
        for lane in 0..<16 where distances[lane] <= threshold {
            let slot = first &+ lane
            if slot < count { slots.append(slot) }
        }
    }

    /// Canonical distances of `slots`, the best `k` of them.
    func rerank(_ q: UnsafePointer<Float>, slots: [Int], k: Int) -> TopK {
        var top = TopK(k: k)
        let d = dimension
        withRows { row, stride in
            var i = 0
            while i + 4 <= slots.count {
                let v = Reference.canonicalL2x4(q, row(slots[i]), row(slots[i + 1]), row(slots[i + 2]),
                                                row(slots[i + 3]), dimension: d, stride: stride)
                for l in 0..<4 { top.offer(v[l], slot: slots[i + l], id: ids[slots[i + l]]) }
                i += 4
            }
            while i < slots.count {
                let v = Reference.canonicalL2x4(q, row(slots[i]), row(slots[i]), row(slots[i]), row(slots[i]),
                                                dimension: d, stride: stride)
                top.offer(v[0], slot: slots[i], id: ids[slots[i]])
                i += 1
            }
        }
        return top
    }

    /// Gives `body` the address of a slot's exact float32 vector and the element stride of its components.
    func withRows<R>(_ body: ((Int) -> UnsafePointer<Float>, Int) -> R) -> R {
        if let f32 {
            let base = UnsafePointer(f32.base), size = dimension * blockWidth
            return body({ base + ($0 / blockWidth) * size + $0 % blockWidth }, blockWidth)
        }
        let d = dimension
        return exactRows.withUnsafeBufferPointer { rows in body({ rows.baseAddress! + $0 * d }, 1) }
    }
}

/// Whether some lane of `distances` is at most `bound`. `any(distances .<= bound)` lowers to a scalar loop
/// over the lanes; this folds the sign bits of `bound − distance` with AND instead: for a finite distance,
/// `bound − distance` is +0 or positive exactly when `distance ≤ bound` (and −∞ when the distance is +∞).
@inline(__always)
func anyLane(_ distances: SIMD16<Float>, atMost bound: Float) -> Bool {
    if bound == .infinity { return true }
    return foldedSignIsClear(unsafeBitCast(SIMD16(repeating: bound) - distances, to: SIMD16<Int32>.self))
}

/// `anyLane` over the four groups of a block.
@inline(__always)
func anyLane(_ lanes: BlockLanes, atMost bound: Float) -> Bool {
    if bound == .infinity { return true }
    let b = SIMD16(repeating: bound)
    let m = unsafeBitCast(b - lanes.0, to: SIMD16<Int32>.self) & unsafeBitCast(b - lanes.1, to: SIMD16<Int32>.self)
        & unsafeBitCast(b - lanes.2, to: SIMD16<Int32>.self) & unsafeBitCast(b - lanes.3, to: SIMD16<Int32>.self)
    return foldedSignIsClear(m)
}

/// Whether the AND of all lanes has a clear sign bit, i.e. some lane is non-negative.
@inline(__always)
func foldedSignIsClear(_ m: SIMD16<Int32>) -> Bool {
    let m8 = m.lowHalf & m.highHalf, m4 = m8.lowHalf & m8.highHalf, m2 = m4.lowHalf & m4.highHalf
    return m2[0] & m2[1] >= 0
}

/// Moves a non-Sendable value into a concurrent closure: a pointer to disjoint per-thread slots, or the index
/// that a search's threads only read.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
