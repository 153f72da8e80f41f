import CMatcherKernels
import Testing
@testable import Matcher

/// The int8 dot-product kernels (portable C, AVX-512 VNNI, the dispatcher) against a scalar integer reference,
/// on the quad layout the C header documents (codes stored as `code + 128`); the query quantisation the int8 screen
/// relies on; and the huge-page allocator of the scanned buffers.
@Suite struct Int8DotsTests {
    typealias Kernel = (UnsafePointer<UInt8>?, Int, Int, UnsafePointer<Int8>?, UnsafeMutablePointer<Int32>?) -> Void

    /// Every kernel this CPU can run, by name.
    static var kernels: [(String, Kernel)] {
        var all: [(String, Kernel)] = [("portable", slm_dots_i8_portable), ("dispatch", slm_dots_i8)]
        if slm_has_avx512_vnni() != 0 { all.append(("vnni", slm_dots_i8_vnni)) }
        return all
    }

    /// Rows of codes laid out as the header says: lane `l` of block `b`, components `4g ..< 4g + 4` at
    /// `((b · quads + g) · 64 + l) · 4`, each stored as `code + 128`; padding components and lanes hold `padding`.
    func layout(_ rows: [[Int8]], dimension d: Int, padding: UInt8 = 128) -> (bytes: [UInt8], quads: Int, blocks: Int) {
        let quads = (d + 3) / 4, blocks = (rows.count + blockWidth - 1) / blockWidth
        var bytes = [UInt8](repeating: padding, count: blocks * quads * blockWidth * 4)
        for (slot, row) in rows.enumerated() {
            let b = slot / blockWidth, l = slot % blockWidth
            for j in 0..<d { bytes[((b * quads + j / 4) * blockWidth + l) * 4 + j % 4] = UInt8(Int(row[j]) + 128) }
        }
        return (bytes, quads, blocks)
    }

    func run(_ kernel: Kernel, _ rows: [[Int8]], _ query: [Int8], dimension d: Int, padding: UInt8 = 128) -> [Int32] {
        let (bytes, quads, blocks) = layout(rows, dimension: d, padding: padding)
        var padded = query
        padded.append(contentsOf: repeatElement(0, count: quads * 4 - d))
        var out = [Int32](repeating: -1, count: blocks * blockWidth)
        kernel(bytes, quads, blocks, padded, &out)
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
                // Padding bytes meet zero query codes: whatever they hold, the sums of real lanes do not change.
                for padding: UInt8 in [0, 255] {
                    let other = run(kernel, rows, query, dimension: d, padding: padding)
                    #expect(Array(other.prefix(count)) == expected, "\(name) d \(d) padding \(padding)")
                }
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
        let d = 7, buffer = BlockedBuffer<UInt8>(dimension: d, zero: 128, group: 4)
        buffer.reserve(blocks: 2)
        var rng = SeededGenerator(state: 5)
        let rows = (0..<70).map { _ in randomCodes(d, &rng) }
        let stored = rows.map { $0.map { UInt8(Int($0) + 128) } }
        for (slot, row) in stored.enumerated() { row.withUnsafeBufferPointer { buffer.store(slot: slot, $0) } }
        let (bytes, _, _) = layout(rows, dimension: d)
        #expect(buffer.dimension == 8)
        #expect(Array(UnsafeBufferPointer(start: buffer.base, count: bytes.count)) == bytes)
        buffer.move(from: 69, to: 3)
        buffer.clear(slot: 69)
        #expect((0..<d).map { buffer.component(slot: 3, $0) } == stored[69])
        #expect((0..<8).allSatisfy { buffer.component(slot: 69, $0) == 128 })
    }

    @Test func indexStoresCodesOffsetBy128() throws {
        // FlatIndex's int8 storage is what the kernels read: code + 128, padding components 128 (code 0).
        let d = 5, index = FlatIndex(dimension: d, format: .int8)
        try index.add(id: 1, vector: [1, -1, 0.3, 0, -0.25])
        // scale = 1/127: codes 127, -127, 38 (38.1), 0, -32 (-31.75).
        #expect((0..<8).map { index.i8!.component(slot: 0, $0) } == [255, 1, 166, 128, 96, 128, 128, 128])
    }

    @Test(arguments: [1, 64, 4096, 2 << 20, (2 << 20) + 1, 40 << 20])
    func allocatorAlignsAndHoldsItsBytes(bytes: Int) {
        let memory = slm_allocate(bytes)!
        defer { slm_free(memory, bytes) }
        let address = UInt(bitPattern: memory)
        #expect(address % 64 == 0)
        if bytes >= 2 << 20 { #expect(address % UInt(2 << 20) == 0, "huge-page sized buffers are 2 MiB aligned") }
        let raw = UnsafeMutableRawPointer(memory)
        raw.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
        #expect(raw.load(fromByteOffset: bytes - 1, as: UInt8.self) == 0xA5)
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
