import CMatcherKernels
import Testing
@testable import Matcher

/// The int8 dot-product kernels (portable C, AVX2, AVX-VNNI, AVX-512 VNNI, NEON dot product, the dispatcher) against
/// a scalar integer reference, at every kernel this CPU supports, on the quad layout the C header documents (codes
/// stored as `code + 128`); the query quantisation the int8 screen relies on; and the huge-page allocator of the
/// scanned buffers. The dispatcher's choice and the `SIGHTLINE_ISA` cap: `Int8KernelDispatchTests`.
@Suite struct Int8DotsTests {
    typealias Kernel = (UnsafePointer<UInt8>?, Int, Int, UnsafePointer<Int8>?, UnsafeMutablePointer<Int32>?) -> Void

    /// Every kernel this CPU can run (each test runs at each of them).
    static let kernels = Int8Kernel.supported

    /// `kernel` as a function of the dots' signature.
    static func function(_ kernel: Int8Kernel) -> Kernel {
        { slm_dots_i8_kernel(kernel.rawValue, $0, $1, $2, $3, $4) }
    }

    /// Rows of stored bytes laid out as the header says: lane `l` of block `b`, components `4g ..< 4g + 4` at
    /// `((b · quads + g) · 64 + l) · 4`; padding components and lanes hold `padding`.
    func layout(stored rows: [[UInt8]], dimension d: Int, padding: UInt8 = 128)
        -> (bytes: [UInt8], quads: Int, blocks: Int)
    {
        let quads = (d + 3) / 4, blocks = (rows.count + blockWidth - 1) / blockWidth
        var bytes = [UInt8](repeating: padding, count: blocks * quads * blockWidth * 4)
        for (slot, row) in rows.enumerated() {
            let b = slot / blockWidth, l = slot % blockWidth
            for j in 0..<d { bytes[((b * quads + j / 4) * blockWidth + l) * 4 + j % 4] = row[j] }
        }
        return (bytes, quads, blocks)
    }

    /// Rows of codes (each stored as `code + 128`).
    func layout(_ rows: [[Int8]], dimension d: Int, padding: UInt8 = 128) -> (bytes: [UInt8], quads: Int, blocks: Int) {
        layout(stored: rows.map { $0.map { UInt8(Int($0) + 128) } }, dimension: d, padding: padding)
    }

    func run(_ kernel: Kernel, stored rows: [[UInt8]], _ query: [Int8], dimension d: Int, padding: UInt8 = 128)
        -> [Int32]
    {
        let (bytes, quads, blocks) = layout(stored: rows, dimension: d, padding: padding)
        var padded = query
        padded.append(contentsOf: repeatElement(0, count: quads * 4 - d))
        var out = [Int32](repeating: -1, count: blocks * blockWidth)
        kernel(bytes, quads, blocks, padded, &out)
        return out
    }

    func run(_ kernel: Kernel, _ rows: [[Int8]], _ query: [Int8], dimension d: Int, padding: UInt8 = 128) -> [Int32] {
        run(kernel, stored: rows.map { $0.map { UInt8(Int($0) + 128) } }, query, dimension: d, padding: padding)
    }

    func reference(_ row: [Int8], _ query: [Int8]) -> Int32 {
        var sum = 0
        for j in 0..<query.count { sum += Int(query[j]) * Int(row[j]) }
        return Int32(sum)
    }

    /// The reference on stored bytes: Σ (byte − 128) · q.
    func reference(stored row: [UInt8], _ query: [Int8]) -> Int32 {
        var sum = 0
        for j in 0..<query.count { sum += Int(query[j]) * (Int(row[j]) - 128) }
        return Int32(sum)
    }

    func randomCodes(_ count: Int, _ rng: inout SeededGenerator) -> [Int8] {
        (0..<count).map { i -> Int8 in
            // Frequent extremes (±127) so the VNNI offset correction and sign handling are exercised.
            i % 13 == 0 ? (i % 2 == 0 ? 127 : -127) : Int8(Int(rng.next() % 255) - 127)
        }
    }

    @Test(arguments: kernels, [1, 2, 3, 4, 5, 7, 16, 33, 127, 128, 131, 512])
    func kernelsEqualScalarReference(kernel: Int8Kernel, dimension d: Int) {
        var rng = SeededGenerator(state: UInt64(d) &* 977)
        // Whole blocks and a partial one.
        for count in [1, 64, 200] {
            let rows = (0..<count).map { _ in randomCodes(d, &rng) }
            let query = randomCodes(d, &rng)
            let expected = rows.map { reference($0, query) }
            let got = run(Self.function(kernel), rows, query, dimension: d)
            #expect(Array(got.prefix(count)) == expected, "\(kernel) d \(d) count \(count)")
            #expect(got.dropFirst(count).allSatisfy { $0 == 0 }, "\(kernel): padding lanes must be 0")
            // Padding bytes meet zero query codes: whatever they hold, the sums of real lanes do not change.
            for padding: UInt8 in [0, 255] {
                let other = run(Self.function(kernel), rows, query, dimension: d, padding: padding)
                #expect(Array(other.prefix(count)) == expected, "\(kernel) d \(d) padding \(padding)")
            }
        }
    }

    @Test func dispatcherEqualsItsSelectedKernel() {
        var rng = SeededGenerator(state: 4242)
        let d = 131, rows = (0..<130).map { _ in randomCodes(d, &rng) }, query = randomCodes(d, &rng)
        let dispatched = run(slm_dots_i8, rows, query, dimension: d)
        #expect(dispatched == run(Self.function(Int8Kernel.selected), rows, query, dimension: d))
        #expect(Array(dispatched.prefix(rows.count)) == rows.map { reference($0, query) })
    }

    @Test(arguments: kernels, [127, 512])
    func extremeCodesDoNotOverflow(kernel: Int8Kernel, dimension d: Int) {
        // The largest magnitudes in both signs: Σ ±127 · ±127 (and −128, the stored byte 0) over up to 512
        // components, and mixed signs per lane.
        let rows: [[UInt8]] = [
            Array(repeating: 255, count: d), Array(repeating: 1, count: d), Array(repeating: 0, count: d),
            (0..<d).map { $0 % 2 == 0 ? 255 : 1 }, (0..<d).map { $0 % 2 == 0 ? 255 : 0 },
            Array(repeating: 128, count: d),
        ]
        for query in [Array(repeating: Int8(127), count: d), Array(repeating: Int8(-127), count: d),
                      (0..<d).map { $0 % 2 == 0 ? Int8(127) : -127 }] {
            let expected = rows.map { reference(stored: $0, query) }
            let got = run(Self.function(kernel), stored: rows, query, dimension: d)
            #expect(Array(got.prefix(rows.count)) == expected, "\(kernel) d \(d)")
        }
    }

    /// `vpmaddubsw` adds two u8 × s8 products in int16 and saturates: this runs every stored byte 0 ... 255 (code
    /// −128 ... 127) in every component against every query code −127 ... 127 in every component, so each pair
    /// the instruction adds is (c, c) · (q, q) at its largest, plus the sign patterns (c, −c) and (q, −q).
    @Test(arguments: kernels)
    func everyStoredByteAgainstEveryQueryCode(kernel: Int8Kernel) {
        let d = 8
        var same: [[UInt8]] = [], alternating: [[UInt8]] = []
        for b in 0...255 {
            let byte = UInt8(b), negated = UInt8((256 - b) & 255)  // codes c and −c (the byte 0, −128, twice)
            same.append([UInt8](repeating: byte, count: d))
            alternating.append((0..<d).map { $0 % 2 == 1 ? byte : negated })
        }
        var mismatches: [String] = []
        for q in -127...127 {
            let flat = [Int8](repeating: Int8(q), count: d)
            let signs = (0..<d).map { Int8($0 % 2 == 1 ? -q : q) }
            for (name, rows) in [("same", same), ("alternating", alternating)] {
                for query in [flat, signs] {
                    let got = run(Self.function(kernel), stored: rows, query, dimension: d)
                    for (b, row) in rows.enumerated() where got[b] != reference(stored: row, query) {
                        mismatches.append("\(name) byte \(b) q \(query[0]),\(query[1]): \(got[b])")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(kernel): \(mismatches.prefix(5))")
    }

    @Test(arguments: kernels)
    func screensGiveThePortableSlotsAndBits(kernel: Int8Kernel) {
        // slm_screen_i8 through `kernel` against the portable screen: the same slots, the same float bits, for
        // bounds from +∞ (every lane) to −∞ (none), over ranges of blocks that start past block 0.
        var rng = SeededGenerator(state: 31)
        for d in [5, 128, 131] {
            let count = 64 * 5 + 17
            let rows = (0..<count).map { _ in (0..<d).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 13) } }
            var query = randomCodes(d, &rng)
            let (bytes, quads, blocks) = layout(stored: rows, dimension: d)
            query.append(contentsOf: repeatElement(0, count: quads * 4 - d))
            let lanes = blocks * blockWidth
            let norms = (0..<lanes).map { $0 < count ? 0.5 + Float(rng.next() % 1000) / 1000 : 0 }
            let scales = (0..<lanes).map { $0 < count ? Float(1 + rng.next() % 1000) / 127_000 : 0 }
            func screen(_ k: Int8Kernel, _ first: Int, _ n: Int, _ bound: Float) -> ([UInt32], [UInt32]) {
                var slots = [UInt32](repeating: 0, count: lanes + 16)
                var distances = [Float](repeating: 0, count: lanes + 16)
                let found = slm_screen_i8(bytes, quads, first, n, query, norms, scales, 0.9 / 127, 0.81, bound,
                                          k.rawValue, &slots, &distances)
                return (Array(slots.prefix(found)), distances.prefix(found).map(\.bitPattern))
            }
            let all = screen(.portable, 0, blocks, .infinity)
            #expect(all.0.count == lanes)
            let middle = Float(bitPattern: all.1[count / 2])
            for bound in [Float.infinity, middle, Float(bitPattern: all.1[0]), -.infinity] {
                for first in stride(from: 0, to: blocks, by: 2) {
                    let n = min(3, blocks - first)
                    let expected = screen(.portable, first, n, bound), got = screen(kernel, first, n, bound)
                    #expect(got.0 == expected.0 && got.1 == expected.1, "\(kernel) d \(d) blocks \(first)+\(n)")
                }
            }
        }
    }

    @Test(arguments: kernels)
    func indexSearchesEqualTheCanonicalScan(kernel: Int8Kernel) throws {
        // The same int8 index searched through `kernel`: float32's exact answer.
        var rng = SeededGenerator(state: 77)
        for d in [5, 127, 128] {
            let vectors = rng.vectors(300, d)
            let index = FlatIndex(dimension: d, format: .int8)
            for (i, v) in vectors.enumerated() { try index.add(id: UInt64(i), vector: v) }
            let table = Dictionary(uniqueKeysWithValues: vectors.enumerated().map { (UInt64($0.offset), $0.element) })
            index.screenKernel = kernel
            for query in rng.vectors(5, d) {
                #expect(try index.search(query, k: 3) == canonicalSearch(table, query, k: 3, metric: .squaredL2),
                        "\(kernel) d \(d)")
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
