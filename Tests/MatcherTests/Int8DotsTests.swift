import CMatcherKernels
import Testing
@testable import Matcher

/// The int8 dot-product kernels (portable C, AVX-512 VNNI, the dispatcher) against a scalar integer reference,
/// on the quad layout the C header documents; and the query quantisation the int8 screen relies on.
@Suite struct Int8DotsTests {
    typealias Kernel = (UnsafePointer<Int8>?, Int, Int, UnsafePointer<Int8>?, UnsafePointer<Int32>?,
                        UnsafeMutablePointer<Int32>?) -> Void

    /// Every kernel this CPU can run, by name.
    static var kernels: [(String, Kernel)] {
        var all: [(String, Kernel)] = [("portable", slm_dots_i8_portable), ("dispatch", slm_dots_i8)]
        if slm_has_avx512_vnni() != 0 { all.append(("vnni", slm_dots_i8_vnni)) }
        return all
    }

    /// Rows of codes laid out as the header says: lane `l` of block `b`, components `4g ..< 4g + 4` at
    /// `((b · quads + g) · 64 + l) · 4`; padding components and lanes stay 0. Also returns each slot's code sum.
    func layout(_ rows: [[Int8]], dimension d: Int) -> (bytes: [Int8], sums: [Int32], quads: Int, blocks: Int) {
        let quads = (d + 3) / 4, blocks = (rows.count + blockWidth - 1) / blockWidth
        var bytes = [Int8](repeating: 0, count: blocks * quads * blockWidth * 4)
        var sums = [Int32](repeating: 0, count: blocks * blockWidth)
        for (slot, row) in rows.enumerated() {
            let b = slot / blockWidth, l = slot % blockWidth
            for j in 0..<d {
                bytes[((b * quads + j / 4) * blockWidth + l) * 4 + j % 4] = row[j]
                sums[slot] += Int32(row[j])
            }
        }
        return (bytes, sums, quads, blocks)
    }

    func run(_ kernel: Kernel, _ rows: [[Int8]], _ query: [Int8], dimension d: Int) -> [Int32] {
        let (bytes, sums, quads, blocks) = layout(rows, dimension: d)
        var padded = query
        padded.append(contentsOf: repeatElement(0, count: quads * 4 - d))
        var out = [Int32](repeating: -1, count: blocks * blockWidth)
        kernel(bytes, quads, blocks, padded, sums, &out)
        return out
    }

    func reference(_ row: [Int8], _ query: [Int8]) -> Int32 {
        var sum = 0
        for j in 0..<query.count { sum += Int(query[j]) * Int(row[j]) }
        return Int32(sum)
    }

    func randomCodes(_ count: Int, _ rng: inout SeededGenerator) -> [Int8] {
        (0..<count).map { i -> Int8 in
            // Frequent extremes (±127) so the VNNI offset correction and sign handling are exercised.
            i % 13 == 0 ? (i % 2 == 0 ? 127 : -127) : Int8(Int(rng.next() % 255) - 127)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 16, 33, 127, 128, 131, 512])
    func kernelsEqualScalarReference(dimension d: Int) {
        var rng = SeededGenerator(state: UInt64(d) &* 977)
        // 3 blocks and a partial one: the VNNI kernel's two-block loop and its one-block tail.
        for count in [1, 64, 200] {
            let rows = (0..<count).map { _ in randomCodes(d, &rng) }
            let query = randomCodes(d, &rng)
            let expected = rows.map { reference($0, query) }
            for (name, kernel) in Self.kernels {
                let got = run(kernel, rows, query, dimension: d)
                #expect(Array(got.prefix(count)) == expected, "\(name) d \(d) count \(count)")
                #expect(got.dropFirst(count).allSatisfy { $0 == 0 }, "\(name): padding lanes must be 0")
            }
        }
    }

    @Test(arguments: [127, 512])
    func extremeCodesDoNotOverflow(dimension d: Int) {
        // The largest magnitudes in both signs: Σ ±127 · ±127 over 512 components, and mixed signs per lane.
        let rows: [[Int8]] = [
            Array(repeating: 127, count: d), Array(repeating: -127, count: d),
            (0..<d).map { $0 % 2 == 0 ? 127 : -127 }, Array(repeating: 0, count: d),
        ]
        for query in [Array(repeating: Int8(127), count: d), Array(repeating: Int8(-127), count: d)] {
            let expected = rows.map { reference($0, query) }
            for (name, kernel) in Self.kernels {
                #expect(Array(run(kernel, rows, query, dimension: d).prefix(rows.count)) == expected, "\(name) d \(d)")
            }
        }
    }

    @Test func portableAndVNNIScreensGiveTheSameAnswers() throws {
        // The same int8 index searched through both kernels (on a CPU without VNNI both runs are portable).
        var rng = SeededGenerator(state: 77)
        for d in [5, 127, 128] {
            let vectors = rng.vectors(300, d)
            let index = FlatIndex(dimension: d, format: .int8)
            for (i, v) in vectors.enumerated() { try index.add(id: UInt64(i), vector: v) }
            let table = Dictionary(uniqueKeysWithValues: vectors.enumerated().map { (UInt64($0.offset), $0.element) })
            for query in rng.vectors(5, d) {
                index.allowVNNI = true
                let fast = try index.search(query, k: 3)
                index.allowVNNI = false
                let portable = try index.search(query, k: 3)
                #expect(fast == portable, "d \(d)")
                #expect(portable == canonicalSearch(table, query, k: 3, metric: .squaredL2), "d \(d)")
            }
        }
    }

    @Test func quadLayoutOfTheBlockedBuffer() {
        // BlockedBuffer(group: 4) must place codes where the C kernels read them.
        let d = 7, buffer = BlockedBuffer<Int8>(dimension: d, zero: 0, group: 4)
        buffer.reserve(blocks: 2)
        var rng = SeededGenerator(state: 5)
        let rows = (0..<70).map { _ in randomCodes(d, &rng) }
        for (slot, row) in rows.enumerated() { row.withUnsafeBufferPointer { buffer.store(slot: slot, $0) } }
        let (bytes, _, _, _) = layout(rows, dimension: d)
        #expect(buffer.dimension == 8)
        #expect(Array(UnsafeBufferPointer(start: buffer.base, count: bytes.count)) == bytes)
        buffer.move(from: 69, to: 3)
        buffer.clear(slot: 69)
        #expect((0..<d).map { buffer.component(slot: 3, $0) } == rows[69])
        #expect((0..<8).allSatisfy { buffer.component(slot: 69, $0) == 0 })
    }

    @Test(arguments: [1, 3, 128, 512])
    func queryQuantisationIsBoundedAndPadded(dimension d: Int) {
        var rng = SeededGenerator(state: UInt64(d))
        for scale: Float in [1, 1e-3, 300] {
            let q = (0..<d).map { _ in rng.uniform() * scale }
            let prepared = q.withUnsafeBufferPointer { ScreenQuery($0.baseAddress!, dimension: d, format: .int8) }
            #expect(prepared.codes.count == (d + 3) / 4 * 4)
            #expect(prepared.codes.allSatisfy { $0 >= -127 && $0 <= 127 })
            #expect(prepared.codes.dropFirst(d).allSatisfy { $0 == 0 })
            #expect(prepared.codes.contains { abs(Int($0)) == 127 }, "the largest component maps to ±127")
            var error = 0.0
            for j in 0..<d {
                let e = Double(q[j]) - Double(prepared.scale) * Double(prepared.codes[j])
                error += e * e
                // Round to nearest: each component within half a step.
                #expect(abs(e) <= Double(prepared.scale) * 0.5 * (1 + 1e-6), "d \(d) j \(j)")
            }
            #expect(error.squareRoot() <= prepared.quantizationError)
        }
        let zero = [Float](repeating: 0, count: d)
        let prepared = zero.withUnsafeBufferPointer { ScreenQuery($0.baseAddress!, dimension: d, format: .int8) }
        #expect(prepared.codes.allSatisfy { $0 == 0 } && prepared.quantizationError == 0)
    }
}
