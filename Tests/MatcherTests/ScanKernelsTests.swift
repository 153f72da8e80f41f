import Testing
@testable import Matcher

/// The screening kernels against scalar references in Double: every lane of a 64-vector block, dimensions with
/// odd tails, within the rounding bound the exactness proof uses (γ_d · Σ|q_j x_j|).
@Suite struct ScanKernelsTests {
    static let dimensions = [1, 2, 3, 7, 16, 33, 128, 131]

    /// Σ q_j x_j and Σ |q_j x_j| in Double for lane `lane` of a dimension-major block.
    func reference(_ query: [Float], _ block: [Double], lane: Int) -> (dot: Double, magnitude: Double) {
        var dot = 0.0, magnitude = 0.0
        for j in 0..<query.count {
            let p = Double(query[j]) * block[j * blockWidth + lane]
            dot += p
            magnitude += abs(p)
        }
        return (dot, magnitude)
    }

    func gamma(_ d: Int) -> Double { Double(d + 1) * 0x1p-24 / (1 - Double(d + 1) * 0x1p-24) }

    @Test(arguments: dimensions)
    func float16DotMatchesReference(dimension d: Int) {
        var rng = SeededGenerator(state: UInt64(d) &* 31)
        let halves = (0..<(blockWidth * d)).map { _ in Float16(rng.uniform() * 3) }
        let query = (0..<d).map { _ in rng.uniform() * 2 }
        let lanes = halves.withUnsafeBufferPointer { b in
            query.withUnsafeBufferPointer { ScanKernels.dotF16(query: $0.baseAddress!, block: b.baseAddress!, dimension: d) }
        }
        let exact = halves.map { Double(Float($0)) }
        for lane in 0..<blockWidth {
            let (dot, magnitude) = reference(query, exact, lane: lane)
            let got = Double(laneValue(lanes, lane))
            #expect(abs(got - dot) <= gamma(d) * magnitude, "d \(d) lane \(lane): \(got) vs \(dot)")
        }
    }

    @Test(arguments: dimensions)
    func batchMicrokernelMatchesReference(dimension d: Int) {
        var rng = SeededGenerator(state: UInt64(d) &* 91)
        let block = (0..<(blockWidth * d)).map { _ in rng.uniform() * 3 }
        let queries = (0..<(ScanKernels.batchRows * d)).map { _ in rng.uniform() * 2 }
        var out = [SIMD16<Float>](repeating: SIMD16(), count: 4 * ScanKernels.batchRows)
        block.withUnsafeBufferPointer { b in
            queries.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer {
                    ScanKernels.dot6x64(queries: q.baseAddress!, block: b.baseAddress!, dimension: d, out: $0.baseAddress!)
                }
            }
        }
        let exact = block.map(Double.init)
        for r in 0..<ScanKernels.batchRows {
            let query = Array(queries[r * d ..< (r + 1) * d])
            for lane in 0..<blockWidth {
                let (dot, magnitude) = reference(query, exact, lane: lane)
                let got = Double(out[4 * r + lane / 16][lane % 16])
                #expect(abs(got - dot) <= gamma(d) * magnitude, "d \(d) query \(r) lane \(lane)")
            }
        }
    }

    @Test func anyLaneAgreesWithLaneComparisons() {
        var rng = SeededGenerator(state: 4)
        for trial in 0..<500 {
            var v = SIMD16<Float>()
            for l in 0..<16 { v[l] = rng.uniform() * 4 }
            // Bounds on, just below and just above a lane (ties must count), and beyond every lane.
            let pick = v[trial % 16]
            for bound in [pick, pick.nextDown, pick.nextUp, -5, 5, 0, Float.infinity] {
                let expected = (0..<16).contains { v[$0] <= bound }
                #expect(anyLane(v, atMost: bound) == expected, "trial \(trial) bound \(bound)")
                let block: BlockLanes = (v + 10, v + 20, v, v + 30)
                #expect(anyLane(block, atMost: bound) == expected, "block, trial \(trial) bound \(bound)")
            }
        }
        let far = SIMD16<Float>(repeating: .infinity)
        #expect(!anyLane(far, atMost: 1e30))
        #expect(anyLane(far, atMost: .infinity))
    }

    @Test func topKKeepsTheSmallestWithTiesByID() {
        var rng = SeededGenerator(state: 12)
        for k in [1, 3, 8] {
            var top = TopK(k: k)
            var all: [(Float, UInt64)] = []
            for i in 0..<200 {
                // Few distinct distances, so ties are frequent; ids in scrambled order.
                let distance = Float(Int(rng.next() % 7))
                let id = UInt64((i * 73) % 200)
                top.offer(distance, slot: i, id: id)
                all.append((distance, id))
            }
            let expected = all.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(k)
            #expect(top.count == k)
            #expect(Array(top.distances.prefix(top.count)) == expected.map(\.0), "k \(k)")
            #expect(Array(top.ids.prefix(top.count)) == expected.map(\.1), "k \(k)")
        }
    }
}
