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
            return neighbors(parallelScan(q, keep: k) { index, q, range, top in index.scanCanonical(q, range, &top) })
        }
        let squaredQuery = Reference.dot(q, q, dimension: dimension)
        let screened = parallelScan(q, keep: screenKeep(k)) { index, q, range, top in
            index.screen(q, squaredQuery, range, &top)
        }
        return finish(q, squaredQuery: squaredQuery, screened: screened, k: k)
    }

    /// Candidates a compact screen keeps for `k` answers. The certificate needs the last kept screening distance
    /// to clear the k-th exact distance by the error bound; neighbours crowd closer in large galleries, so
    /// those keep more (a failed certificate costs a second full pass, a longer list only a few re-ranks).
    func screenKeep(_ k: Int) -> Int { k + (count > 65_536 ? 31 : 7) }

    /// Re-ranks screened candidates exactly and certifies them; falls back to a collecting pass.
    func finish(_ q: UnsafePointer<Float>, squaredQuery: Float, screened: TopK, k: Int) -> [Neighbor] {
        let reranked = rerank(q, slots: Array(screened.slots.prefix(screened.count)), k: k)
        guard screened.count == screened.k, reranked.count == k else { return neighbors(reranked) }
        let admit = admissionThreshold(kthDistance: reranked.distances[k - 1], squaredQuery: squaredQuery)
        if screened.distances[screened.count - 1] > admit { return neighbors(reranked) }
        var slots: [Int] = []
        collect(q, squaredQuery, threshold: admit, into: &slots)
        return neighbors(rerank(q, slots: slots, k: k))
    }

    func neighbors(_ top: TopK) -> [Neighbor] {
        let half = configuration.metric == .cosine
        return (0..<top.count).map { Neighbor(id: top.ids[$0], distance: half ? top.distances[$0] / 2 : top.distances[$0]) }
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
        let box = UnsafeSendable(results), query = UnsafeSendable(q)
        let per = (blocks + threads - 1) / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var top = TopK(k: keep)
            body(self, query.value, min(blocks, t * per) ..< min(blocks, (t + 1) * per), &top)
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

    /// Canonical float32 scan of `blocks` (the exact answer directly).
    func scanCanonical(_ q: UnsafePointer<Float>, _ blocks: Range<Int>, _ top: inout TopK) {
        let base = f32!.base, size = dimension &* blockWidth, d = dimension
        for b in blocks {
            offer(ScanKernels.l2(query: q, block: base + b &* size, dimension: d), block: b, &top)
        }
    }

    /// Approximate squared L2, `‖x‖² + ‖q‖² − 2 q·x̂`, of 16 compact vectors (slots `first ..< first + 16`)
    /// from their dot products.
    @inline(__always)
    func screened(_ dots: SIMD16<Float>, first: Int, squaredQuery: Float) -> SIMD16<Float> {
        let norms = UnsafeRawPointer(squaredNorms.base + first).loadUnaligned(as: SIMD16<Float>.self)
        var dot = dots
        if configuration.format == .int8 {
            dot *= UnsafeRawPointer(scales.base + first).loadUnaligned(as: SIMD16<Float>.self)
        }
        return (norms + SIMD16(repeating: squaredQuery)).addingProduct(SIMD16(repeating: -2), dot)
    }

    /// Calls `body(first, approximateDistances)` for each 16-vector group of the compact copy in `blocks`.
    @inline(__always)
    func forEachScreened(
        _ q: UnsafePointer<Float>, _ squaredQuery: Float, _ blocks: Range<Int>,
        _ body: (Int, SIMD16<Float>) -> Void
    ) {
        let d = dimension, size = d &* blockWidth
        @inline(__always)
        func emit(_ dots: BlockLanes, _ b: Int) {
            let first = b &* blockWidth
            body(first, screened(dots.0, first: first, squaredQuery: squaredQuery))
            body(first &+ 16, screened(dots.1, first: first &+ 16, squaredQuery: squaredQuery))
            body(first &+ 32, screened(dots.2, first: first &+ 32, squaredQuery: squaredQuery))
            body(first &+ 48, screened(dots.3, first: first &+ 48, squaredQuery: squaredQuery))
        }
        if let f16 {
            let base = f16.base
            for b in blocks { emit(ScanKernels.dotF16(query: q, block: base + b &* size, dimension: d), b) }
        } else if let i8 {
            let base = i8.base
            for b in blocks { emit(ScanKernels.dotI8(query: q, block: base + b &* size, dimension: d), b) }
        }
    }

    /// Screens the compact copy, keeping the best approximate distances.
    func screen(_ q: UnsafePointer<Float>, _ squaredQuery: Float, _ blocks: Range<Int>, _ top: inout TopK) {
        forEachScreened(q, squaredQuery, blocks) { first, distances in offer(distances, first: first, &top) }
    }

    /// Every slot whose approximate distance is at most `threshold` (the fallback pass).
    func collect(_ q: UnsafePointer<Float>, _ squaredQuery: Float, threshold: Float, into slots: inout [Int]) {
        if configuration.format == .float32 {
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
        forEachScreened(q, squaredQuery, 0..<blockCount) { first, distances in
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

/// Moves a non-Sendable value (a pointer to disjoint per-thread slots) into a concurrent closure.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
