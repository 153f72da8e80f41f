import Dispatch

extension FlatIndex {
    /// Searches many queries at once: the same answers as `search(_:k:)` for each, faster per query.
    ///
    /// The gallery is walked in tiles that stay in the L2 cache while every query meets them. In float32,
    /// 8 queries × 32 vectors of dot products are computed per step (GEMM-style) and the best candidates are
    /// re-ranked exactly; compact formats run their screening kernel per query on each tile. Queries are
    /// split over `configuration.threads` threads.
    public func search(batch queries: [[Float]], k: Int) throws(MatcherError) -> [[Neighbor]] {
        precondition(k >= 1, "k must be at least 1")
        var flat: [Float] = []
        flat.reserveCapacity((queries.count + 7) / 8 * 8 * dimension)
        for query in queries { flat.append(contentsOf: try prepared(query)) }
        guard count > 0 else { return queries.map { _ in [] } }
        let groups = (queries.count + 7) / 8
        flat.append(contentsOf: repeatElement(0, count: (groups * 8 - queries.count) * dimension))
        let k = min(k, count)
        let threads = min(configuration.threads, groups)
        let results = UnsafeMutableBufferPointer<[Neighbor]>.allocate(capacity: queries.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let box = UnsafeSendable(results)
        let total = queries.count
        flat.withUnsafeBufferPointer { buffer in
            let rows = UnsafeSendable(buffer.baseAddress!)
            let per = (groups + threads - 1) / threads
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let range = min(groups, t * per) ..< min(groups, (t + 1) * per)
                self.searchGroups(rows.value, groups: range, total: total, k: k, into: box.value)
            }
        }
        let answer = Array(results)
        _ = results.deinitialize()
        return answer
    }

    /// Searches query groups `groups` (8 queries each) of `rows`, writing answers for queries below `total`.
    func searchGroups(
        _ rows: UnsafePointer<Float>, groups: Range<Int>, total: Int, k: Int,
        into results: UnsafeMutableBufferPointer<[Neighbor]>
    ) {
        let d = dimension
        let first = groups.lowerBound * 8, end = groups.upperBound * 8
        let squared = (first..<end).map { Reference.dot(rows + $0 * d, rows + $0 * d, dimension: d) }
        let keep = configuration.format == .float32 ? k + 3 : k + 7
        var tops = (first..<end).map { _ in TopK(k: keep) }
        let tileBlocks = max(2, (256 * 1024 / max(1, d * 64)) & ~1)
        let blocks = blockCount
        var out = [SIMD16<Float>](repeating: SIMD16(), count: 16)
        var tile = 0
        while tile < blocks {
            let tileEnd = min(blocks, tile + tileBlocks)
            for g in groups {
                let q = rows + g * 8 * d
                if configuration.format == .float32 {
                    out.withUnsafeMutableBufferPointer { out in
                        screenPairs(q, group: g - groups.lowerBound, squared: squared, tile: tile..<tileEnd,
                                    out: out.baseAddress!, &tops)
                    }
                } else {
                    for r in 0..<8 {
                        let i = (g - groups.lowerBound) * 8 + r
                        screen(q + r * d, squared[i], tile..<tileEnd, &tops[i])
                    }
                }
            }
            tile = tileEnd
        }
        for i in 0..<(end - first) where first + i < total {
            results[first + i] = finish(rows + (first + i) * d, squaredQuery: squared[i], screened: tops[i], k: k)
        }
    }

    /// Float32 batch screen of one group of 8 queries over a tile, by pairs of blocks.
    func screenPairs(
        _ q: UnsafePointer<Float>, group: Int, squared: [Float], tile: Range<Int>,
        out: UnsafeMutablePointer<SIMD16<Float>>, _ tops: inout [TopK]
    ) {
        let base = f32!.base, size = dimension &* blockWidth
        var b = tile.lowerBound
        while b < tile.upperBound {
            // A lone last block pairs with a block of padding (zero, never offered: slots ≥ count).
            if b + 1 < tile.upperBound || b + 1 < f32!.capacityBlocks {
                ScanKernels.dot8x2(queries: q, blocks: base + b &* size, dimension: dimension, out: out)
            } else {
                for r in 0..<8 { out[2 * r] = ScanKernels.dotRow(q + r * dimension, base + b &* size, dimension) }
            }
            for r in 0..<8 {
                let i = group * 8 + r
                for half in 0..<min(2, tile.upperBound - b) {
                    let norms = UnsafeRawPointer(squaredNorms.base + (b + half) &* blockWidth)
                        .loadUnaligned(as: SIMD16<Float>.self)
                    let distances = (norms + SIMD16(repeating: squared[i]))
                        .addingProduct(SIMD16(repeating: -2), out[2 * r + half])
                    offer(distances, block: b + half, &tops[i])
                }
            }
            b += 2
        }
    }
}

extension ScanKernels {
    /// Dot products of one query with the 16 vectors of one float32 block.
    @inline(__always)
    static func dotRow(_ q: UnsafePointer<Float>, _ block: UnsafePointer<Float>, _ d: Int) -> SIMD16<Float> {
        var acc = SIMD16<Float>()
        for j in 0..<d {
            acc = acc.addingProduct(SIMD16(repeating: q[j]), UnsafeRawPointer(block + j &* 16).loadUnaligned(as: SIMD16<Float>.self))
        }
        return acc
    }
}
