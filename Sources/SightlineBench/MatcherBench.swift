import ArgumentParser
import Foundation
import Matcher
import SightlineCore

/// `sightline-bench matcher`: exact k-NN speed of `FlatIndex` on seeded random unit vectors (or vectors
/// read from raw little-endian float32 files, so peers can run on the same data).
struct BenchMatcher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matcher", abstract: "Time exact nearest-neighbour search (µs/query, queries/s, recall@1).")

    @Option(help: "Vectors in the index.") var n = 100_000
    @Option(help: "Dimension.") var dim = 128
    @Option(help: "Storage format: f32, f16 or i8.") var format = "f32"
    @Option(help: "Queries per batch (1: one query at a time).") var batch = 1
    @Option(help: "Threads.") var threads = 1
    @Option(help: "Number of distinct queries.") var queries = 200
    @Option(help: "Neighbours per query.") var k = 1
    @Option(help: "Seed of the random vectors.") var seed: UInt64 = 1
    @Option(help: "Minimum seconds of timed searching.") var seconds = 1.0
    @Option(help: "Read the index vectors from this raw float32 file (n × dim) instead of generating them.")
    var data: String?
    @Option(help: "Read the queries from this raw float32 file (queries × dim).") var queryData: String?
    @Option(help: "Write the top-1 ids (int64, one per query) to this file.") var answers: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard StorageFormat(rawValue: format) != nil else { throw ValidationError("--format must be f32, f16 or i8") }
        guard n >= 1, dim >= 1, batch >= 1, threads >= 1, queries >= 1, k >= 1 else {
            throw ValidationError("--n, --dim, --batch, --threads, --queries and --k must be positive")
        }
    }

    func run() throws {
        let storage = StorageFormat(rawValue: format)!
        let base = try data.map { try readFloats($0, count: n * dim) } ?? RandomUnitVectors(seed: seed).make(n, dim)
        let probes = try queryData.map { try readFloats($0, count: queries * dim) }
            ?? RandomUnitVectors(seed: seed &+ 0x9E37).make(queries, dim)
        let queryRows = (0..<queries).map { Array(probes[$0 * dim ..< ($0 + 1) * dim]) }
        let index = FlatIndex(dimension: dim, format: storage, threads: threads)
        for i in 0..<n { try index.add(id: UInt64(i), vector: Array(base[i * dim ..< (i + 1) * dim])) }

        var found = try answer(index, queryRows)  // warm-up and the answers
        var runs = 0
        let wallStart = Clocks.monotonicNanos(), cpuStart = Clocks.threadCPUNanos()
        while runs == 0 || Clocks.monotonicNanos() - wallStart < UInt64(seconds * 1e9) {
            found = try answer(index, queryRows)
            runs += 1
        }
        let wall = Double(Clocks.monotonicNanos() - wallStart) / Double(runs * queries)
        let cpu = Double(Clocks.threadCPUNanos() - cpuStart) / Double(runs * queries)

        var recall = 1.0
        if storage != .float32 {
            let exact = FlatIndex(dimension: dim, format: .float32)
            for i in 0..<n { try exact.add(id: UInt64(i), vector: Array(base[i * dim ..< (i + 1) * dim])) }
            let truth = try queryRows.map { try exact.search($0, k: 1).first?.id }
            recall = Double(zip(truth, found).filter { $0 == $1.first?.id }.count) / Double(queries)
        }
        if let answers {
            var ids = found.map { Int64(bitPattern: $0.first?.id ?? UInt64.max) }
            try Data(bytes: &ids, count: ids.count * 8).write(to: URL(fileURLWithPath: answers))
        }
        if json {
            print("{\"n\":\(n),\"dim\":\(dim),\"format\":\"\(format)\",\"batch\":\(batch),\"threads\":\(threads),"
                + "\"k\":\(k),\"queries\":\(queries),\"us_per_query\":\(wall / 1e3),\"cpu_us_per_query\":\(cpu / 1e3),"
                + "\"queries_per_second\":\(1e9 / wall),\"recall_at_1\":\(recall),"
                + "\"int8_kernel\":\"\(FlatIndex.int8Kernel)\",\"float_simd_bits\":\(FlatIndex.floatVectorBits)}")
        } else {
            print(String(format: "n=%d dim=%d %@ batch=%d threads=%d: %.2f µs/query (%.2f µs thread CPU), "
                + "%.0f queries/s, recall@1 %.4f%@", n, dim, format, batch, threads, wall / 1e3, cpu / 1e3,
                1e9 / wall, recall, storage == .int8 ? " (int8 kernel: \(FlatIndex.int8Kernel))" : ""))
        }
    }

    private func answer(_ index: FlatIndex, _ rows: [[Float]]) throws -> [[Neighbor]] {
        if batch == 1 { return try rows.map { try index.search($0, k: k) } }
        var all: [[Neighbor]] = []
        var start = 0
        while start < rows.count {
            all += try index.search(batch: Array(rows[start ..< min(rows.count, start + batch)]), k: k)
            start += batch
        }
        return all
    }

    private func readFloats(_ path: String, count: Int) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: path), data.count >= count * 4 else {
            throw ValidationError("\(path) must hold at least \(count) float32 values")
        }
        return data.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}

/// Seeded Gaussian vectors scaled to unit length (SplitMix64 + Box–Muller).
struct RandomUnitVectors {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func gaussian() -> Double {
        let u1 = (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992
        let u2 = Double(next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` vectors of `dimension` floats, row-major.
    func make(_ count: Int, _ dimension: Int) -> [Float] {
        var generator = self
        var out = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            var row = (0..<dimension).map { _ in generator.gaussian() }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            row = row.map { $0 / norm }
            for j in 0..<dimension { out[i * dimension + j] = Float(row[j]) }
        }
        return out
    }
}
