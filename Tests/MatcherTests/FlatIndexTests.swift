import Testing
@testable import Matcher

@Suite struct FlatIndexTests {
    static let shapes: [(count: Int, dimension: Int)] = [
        (1, 3), (15, 1), (17, 7), (70, 16), (333, 33), (260, 128), (150, 127), (130, 512),
    ]

    func build(_ vectors: [[Float]], format: StorageFormat, metric: DistanceMetric) throws -> FlatIndex {
        let index = FlatIndex(dimension: vectors[0].count, metric: metric, format: format)
        for (i, v) in vectors.enumerated() { try index.add(id: UInt64(i * 3 + 5), vector: v) }
        return index
    }

    func table(_ vectors: [[Float]]) -> [UInt64: [Float]] {
        Dictionary(uniqueKeysWithValues: vectors.enumerated().map { (UInt64($0.offset * 3 + 5), $0.element) })
    }

    @Test(arguments: StorageFormat.allCases, DistanceMetric.allCases)
    func equalsCanonicalScalarScanBitForBit(format: StorageFormat, metric: DistanceMetric) throws {
        var rng = SeededGenerator(state: 42)
        for shape in Self.shapes {
            let vectors = rng.vectors(shape.count, shape.dimension)
            let index = try build(vectors, format: format, metric: metric)
            for k in [1, 4] {
                for query in rng.vectors(6, shape.dimension) {
                    let expected = canonicalSearch(table(vectors), query, k: k, metric: metric)
                    let got = try index.search(query, k: k)
                    #expect(got == expected, "shape \(shape) k \(k) \(format) \(metric)")
                }
            }
        }
    }

    @Test(arguments: DistanceMetric.allCases)
    func agreesWithDoubleReference(metric: DistanceMetric) throws {
        var rng = SeededGenerator(state: 7)
        let vectors = rng.vectors(500, 24, scale: 3)
        let index = try build(vectors, format: .float32, metric: metric)
        for query in rng.vectors(10, 24, scale: 3) {
            let reference = referenceSearch(table(vectors), query, k: 5, metric: metric)
            let got = try index.search(query, k: 5)
            for (rank, neighbor) in got.enumerated() {
                let tolerance = 1e-5 * (1 + reference[rank].1)
                #expect(abs(Double(neighbor.distance) - reference[rank].1) <= tolerance, "rank \(rank)")
                if rank + 1 < reference.count, reference[rank + 1].1 - reference[rank].1 > tolerance {
                    #expect(neighbor.id == reference[rank].0, "rank \(rank)")
                }
            }
        }
    }

    @Test(arguments: StorageFormat.allCases)
    func tiesAreOrderedByID(format: StorageFormat) throws {
        let index = FlatIndex(dimension: 4, format: format)
        let same: [Float] = [0.5, -0.25, 1, 0]
        for id: UInt64 in [40, 3, 17, 99, 8] { try index.add(id: id, vector: same) }
        try index.add(id: 1, vector: [9, 9, 9, 9])
        let got = try index.search([0.5, -0.25, 1, 0.5], k: 5)
        #expect(got.map(\.id) == [3, 8, 17, 40, 99])
        #expect(Set(got.map(\.distance)) == [0.25])
    }

    @Test(arguments: StorageFormat.allCases)
    func compactFormatsFallBackWhenScreeningCannotDecide(format: StorageFormat) throws {
        // Vectors closer together than the int8/float16 quantisation step: the screen cannot rank them, the
        // bound says so, and the collecting pass must still return float32's answer.
        var rng = SeededGenerator(state: 3)
        let base = rng.vectors(1, 32)[0]
        let vectors = (0..<200).map { _ in base.map { $0 + rng.uniform() * 1e-4 } }
        let index = try build(vectors, format: format, metric: .squaredL2)
        for query in (0..<5).map({ _ in base.map { $0 + rng.uniform() * 1e-4 } }) {
            #expect(try index.search(query, k: 3) == canonicalSearch(table(vectors), query, k: 3, metric: .squaredL2))
        }
    }

    @Test func emptyIndexFindsNothing() throws {
        for format in StorageFormat.allCases {
            let index = FlatIndex(dimension: 8, format: format)
            #expect(try index.search([Float](repeating: 1, count: 8), k: 3).isEmpty)
            #expect(try index.search(batch: [[Float](repeating: 1, count: 8)], k: 3) == [[]])
        }
    }

    @Test func rejectsBadInput() throws {
        let index = FlatIndex(dimension: 4, format: .int8)
        #expect(throws: MatcherError.dimensionMismatch(expected: 4, got: 3)) { try index.add(id: 1, vector: [1, 2, 3]) }
        #expect(throws: MatcherError.nonFiniteValue(index: 2)) { try index.add(id: 1, vector: [1, 2, .nan, 4]) }
        #expect(throws: MatcherError.nonFiniteValue(index: 0)) { try index.add(id: 1, vector: [.infinity, 2, 3, 4]) }
        try index.add(id: 1, vector: [1, 2, 3, 4])
        #expect(throws: MatcherError.duplicateID(1)) { try index.add(id: 1, vector: [1, 2, 3, 4]) }
        #expect(throws: MatcherError.dimensionMismatch(expected: 4, got: 5)) { try index.search([1, 2, 3, 4, 5], k: 1) }
        #expect(throws: MatcherError.nonFiniteValue(index: 1)) { try index.search([1, .nan, 3, 4], k: 1) }
        #expect(throws: MatcherError.nonFiniteValue(index: 3)) { try index.search(batch: [[1, 2, 3, 4], [1, 2, 3, .nan]], k: 1) }
        let cosine = FlatIndex(dimension: 2, metric: .cosine)
        #expect(throws: MatcherError.self) { try cosine.add(id: 1, vector: [0, 0]) }
        let half = FlatIndex(dimension: 2, format: .float16)
        #expect(throws: MatcherError.self) { try half.add(id: 1, vector: [1e6, 0]) }
        #expect(index.count == 1)
    }

    @Test(arguments: StorageFormat.allCases)
    func removeSwapsTheLastVectorIn(format: StorageFormat) throws {
        var rng = SeededGenerator(state: 11)
        let vectors = rng.vectors(50, 9)
        let index = try build(vectors, format: format, metric: .squaredL2)
        var remaining = table(vectors)
        for id in [5, 152, 77, 8, 20] as [UInt64] {
            #expect(index.remove(id: id))
            remaining[id] = nil
        }
        #expect(!index.remove(id: 5))
        #expect(index.count == 45 && !index.contains(5) && index.contains(11))
        try index.add(id: 5, vector: vectors[0])
        remaining[5] = vectors[0]
        #expect(index.vector(id: 152) == nil)
        for query in rng.vectors(8, 9) {
            #expect(try index.search(query, k: 6) == canonicalSearch(remaining, query, k: 6, metric: .squaredL2))
        }
        while let id = index.storedIDs.first { index.remove(id: id) }
        #expect(try index.search(vectors[1], k: 1).isEmpty)
    }

    @Test(arguments: StorageFormat.allCases, DistanceMetric.allCases)
    func batchAndThreadsGiveTheSingleQueryAnswers(format: StorageFormat, metric: DistanceMetric) throws {
        var rng = SeededGenerator(state: 5)
        // d = 64: 1100 vectors are 18 blocks of 64, several batch tiles (16 f32 blocks each), ending in a
        // partial block; 19 queries make three full groups of 6 and a partial one.
        let vectors = rng.vectors(1100, 64)
        let queries = rng.vectors(19, 64)
        let index = try build(vectors, format: format, metric: metric)
        let single = try queries.map { try index.search($0, k: 3) }
        let threaded = FlatIndex(dimension: 64, metric: metric, format: format, threads: 3)
        threaded.parallelGrain = 2
        for (i, v) in vectors.enumerated() { try threaded.add(id: UInt64(i * 3 + 5), vector: v) }
        #expect(try index.search(batch: queries, k: 3) == single)
        #expect(try threaded.search(batch: queries, k: 3) == single)
        #expect(try queries.map { try threaded.search($0, k: 3) } == single)
        #expect(single[0] == canonicalSearch(table(vectors), queries[0], k: 3, metric: metric))
    }

    /// The float32 scan turns around on every other search (to start on the blocks still in L2): both directions
    /// must give the canonical answer, ties across blocks included, on one thread and split over several.
    @Test(arguments: [1, 3])
    func scanDirectionDoesNotChangeTheAnswer(threads: Int) throws {
        var rng = SeededGenerator(state: 21)
        let twin = rng.vectors(1, 16)[0]
        // 300 vectors over five blocks; every 7th is the same vector, so a k-th place tie spans blocks.
        var vectors = rng.vectors(300, 16)
        for i in stride(from: 3, to: 300, by: 7) { vectors[i] = twin }
        let index = FlatIndex(dimension: 16, format: .float32, threads: threads)
        index.parallelGrain = 1
        let ids = (0..<300).map { UInt64(($0 * 7919) % 1009) }
        for (i, v) in vectors.enumerated() { try index.add(id: ids[i], vector: v) }
        let table = Dictionary(uniqueKeysWithValues: zip(ids, vectors))
        let queries = [twin.map { $0 + 0.01 }] + rng.vectors(3, 16)
        for query in queries {
            for k in [1, 5, 60] {
                let expected = canonicalSearch(table, query, k: k, metric: .squaredL2)
                let first = try index.search(query, k: k), second = try index.search(query, k: k)
                #expect(first == expected, "threads \(threads) k \(k), first search")
                #expect(second == expected, "threads \(threads) k \(k), second search (other direction)")
            }
        }
        // Each direction directly, over the whole index and over a middle range.
        for range in [0..<5, 1..<4] {
            queries[0].withUnsafeBufferPointer { buffer in
                let q = buffer.baseAddress!
                var forward = TopK(k: 9), backward = TopK(k: 9)
                index.scanCanonical(q, range, backward: false, &forward)
                index.scanCanonical(q, range, backward: true, &backward)
                #expect(forward.count == 9 && backward.ids == forward.ids, "range \(range)")
                #expect(backward.distances.map(\.bitPattern) == forward.distances.map(\.bitPattern))
                let inRange = Set(range.flatMap { b in (b * blockWidth ..< min(300, (b + 1) * blockWidth)).map { ids[$0] } })
                #expect(forward.ids.allSatisfy(inRange.contains), "range \(range): an id from outside the range")
            }
        }
    }

    @Test func simdKernelEqualsScalarReferenceBitForBit() {
        var rng = SeededGenerator(state: 9)
        for d in [1, 5, 16, 130] {
            let block = (0..<(blockWidth * d)).map { _ in rng.uniform() * 4 }
            let query = (0..<d).map { _ in rng.uniform() * 4 }
            let lanes = block.withUnsafeBufferPointer { b in
                query.withUnsafeBufferPointer { ScanKernels.l2(query: $0.baseAddress!, block: b.baseAddress!, dimension: d) }
            }
            for lane in 0..<blockWidth {
                let row = (0..<d).map { block[$0 * blockWidth + lane] }
                let scalar = Reference.canonicalL2(query, row, dimension: d)
                #expect(laneValue(lanes, lane).bitPattern == scalar.bitPattern, "d \(d) lane \(lane)")
            }
        }
    }
}

/// Lane `lane` (0 ..< 64) of a block result.
func laneValue(_ lanes: BlockLanes, _ lane: Int) -> Float {
    let group = [lanes.0, lanes.1, lanes.2, lanes.3][lane / 16]
    return group[lane % 16]
}
