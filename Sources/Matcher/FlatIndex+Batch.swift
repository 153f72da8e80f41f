import Dispatch

extension FlatIndex {
    /// Searches many queries at once: the same answers as `search(_:k:)` for each, faster per query.
    ///
    /// The gallery is walked in tiles that stay in the L2 cache while every query meets them. In float32,
    /// 6 queries × 64 vectors of dot products are computed per step (GEMM-style) and the best candidates are
    /// re-ranked exactly; compact formats run their screening kernel per query on each tile. Queries are
    /// split over `configuration.threads` threads.
    public func search(batch queries: [[Float]], k: Int) throws(MatcherError) -> [[Neighbor]] {
        precondition(k >= 1, "k must be at least 1")
        var flat: [Float] = []
        let rows = ScanKernels.batchRows
        flat.reserveCapacity((queries.count + rows - 1) / rows * rows * dimension)
        for query in queries { flat.append(contentsOf: try prepared(query)) }
        guard count > 0 else { return queries.map { _ in [] } }
        let groups = (queries.count + rows - 1) / rows
        flat.append(contentsOf: repeatElement(0, count: (groups * rows - queries.count) * dimension))
        let k = min(k, count)
        let threads = min(configuration.threads, groups)
        let results = UnsafeMutableBufferPointer<[Neighbor]>.allocate(capacity: queries.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        // The threads only read the index, each query group writing its own result slots.
        let box = UnsafeSendable(results), index = UnsafeSendable(self)
        let total = queries.count
        flat.withUnsafeBufferPointer { buffer in
            let rows = UnsafeSendable(buffer.baseAddress!)
            let per = (groups + threads - 1) / threads
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let range = min(groups, t * per) ..< min(groups, (t + 1) * per)
                index.value.searchGroups(rows.value, groups: range, total: total, k: k, into: box.value)
            }
        }
        let answer = Array(results)
        _ = results.deinitialize()
        return answer
    }

    /// Searches query groups `groups` (`ScanKernels.batchRows` queries each) of `rows`, writing answers for
    /// queries below `total`.
    func searchGroups(
        _ rows: UnsafePointer<Float>, groups: Range<Int>, total: Int, k: Int,
        into results: UnsafeMutableBufferPointer<[Neighbor]>
    ) {
        let d = dimension, groupRows = ScanKernels.batchRows
        let first = groups.lowerBound * groupRows, end = groups.upperBound * groupRows
        let prepared = (first..<end).map { ScreenQuery(rows + $0 * d, dimension: d, format: configuration.format) }
        let squared = prepared.map(\.squaredNorm)
        let keep = configuration.format == .float32 ? k + 3 : screenKeep(k)
        var tops = (first..<end).map { _ in TopK(k: keep) }
        // About 256 KiB of gallery per tile: it stays in L2 while every query group meets it.
        let tileBlocks = max(1, 256 * 1024 / (d * blockWidth * configuration.format.bytesPerComponent))
        let blocks = blockCount
        let out = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: 4 * groupRows)
        defer { out.deallocate() }
        var tile = 0
        while tile < blocks {
            let tileEnd = min(blocks, tile + tileBlocks)
            for g in groups {
                let q = rows + g * groupRows * d
                let group = g - groups.lowerBound
                if configuration.format == .float32 {
                    screenGroup(q, group: group, squared: squared, tile: tile..<tileEnd, out: out, &tops)
                } else {
                    for r in 0..<groupRows {
                        let i = group * groupRows + r
                        screen(prepared[i], tile..<tileEnd, &tops[i])
                    }
                }
            }
            tile = tileEnd
        }
        for i in 0..<(end - first) where first + i < total {
            results[first + i] = finish(prepared[i], screened: tops[i], k: k)
        }
    }

    /// Float32 batch screen of one group of queries over a tile, block by block.
    func screenGroup(
        _ q: UnsafePointer<Float>, group: Int, squared: [Float], tile: Range<Int>,
        out: UnsafeMutablePointer<SIMD16<Float>>, _ tops: inout [TopK]
    ) {
        let base = f32!.base, size = dimension &* blockWidth, groupRows = ScanKernels.batchRows
        for b in tile {
            ScanKernels.dot6x64(queries: q, block: base + b &* size, dimension: dimension, out: out)
            for r in 0..<groupRows {
                let i = group &* groupRows &+ r
                let squaredQuery = SIMD16<Float>(repeating: squared[i])
                for g in 0..<4 {
                    let first = b &* blockWidth &+ g &* 16
                    let norms = UnsafeRawPointer(squaredNorms.base + first).loadUnaligned(as: SIMD16<Float>.self)
                    let distances = (norms + squaredQuery).addingProduct(SIMD16(repeating: -2), out[4 &* r &+ g])
                    offer(distances, first: first, &tops[i])
                }
            }
        }
    }
}
