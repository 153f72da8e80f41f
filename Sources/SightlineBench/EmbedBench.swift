import ArgumentParser
import FaceKit
import Foundation
import SightlineCore
import SightlineTools

/// `sightline-bench embed [--batch N] [--threads T] [--json]`: face embedding speed.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Time the face embedder: ms per face and faces/s.",
        discussion: """
            One repetition embeds 16 chips: --batch 1 as 16 calls of one chip, --batch N as calls of N \
            chips. Reports the best and the median repetition (wall time, and thread CPU time with one \
            thread) and GFLOP/s from the network's multiply-adds.
            """)

    @Option(help: "Chips per embed call.")
    var batch = 1

    @Option(help: "Threads serving a batch.")
    var threads = 1

    @Option(help: "Most chips the embedder runs through the network together (its batchSize).")
    var networkBatch = 16

    @Option(name: .customLong("chip"), help: "Chips to embed (PNG, JPEG or PPM, cycled); default: synthetic chips.")
    var chips: [String] = []

    @Option(help: ArgumentHelp(ModelLocation.help, valueName: "DIR"))
    var models: String?

    @Option(help: "Seconds to spend measuring (at least 5 repetitions).")
    var seconds = 3.0

    @Flag(help: "Print the thread CPU time of each fused step for one chip.")
    var profile = false

    @Flag(help: "One JSON object.")
    var json = false

    func validate() throws {
        guard batch >= 1, threads >= 1 else { throw ValidationError("--batch and --threads must be at least 1") }
    }

    func run() throws {
        let embedder = try FaceChips.embedder(models: models, threads: threads, batchSize: networkBatch)
        let size = embedder.chipSize
        var pool = try chips.map(FaceChips.load)
        if pool.isEmpty {
            pool = (0..<4).map { FaceChips.synthetic(width: size.width, height: size.height, seed: $0) }
        }
        let perRepetition = max(16, batch)
        let faces = (0..<perRepetition).map { pool[$0 % pool.count] }
        let calls = stride(from: 0, to: faces.count, by: batch).map {
            Array(faces[$0..<min($0 + batch, faces.count)])
        }
        _ = try embedder.embed(chips: calls[0])  // warm-up: buffers grow to size
        var wall: [Double] = [], cpu: [Double] = []
        let start = Clocks.monotonicNanos()
        while wall.count < 5 || Double(Clocks.monotonicNanos() - start) < seconds * 1e9 {
            let t0 = Clocks.monotonicNanos(), c0 = Clocks.threadCPUNanos()
            for call in calls { _ = try embedder.embed(chips: call) }
            wall.append(Double(Clocks.monotonicNanos() - t0) / 1e6 / Double(faces.count))
            cpu.append(Double(Clocks.threadCPUNanos() - c0) / 1e6 / Double(faces.count))
        }
        wall.sort()
        cpu.sort()
        let gflop = 2 * Double(embedder.program.multiplyAdds) / 1e9
        let best = wall[0], median = wall[wall.count / 2]
        if json {
            print("{\"batch\":\(batch),\"threads\":\(threads),\"repetitions\":\(wall.count),"
                  + "\"faces_per_repetition\":\(faces.count),\"best_ms_per_face\":\(best),"
                  + "\"median_ms_per_face\":\(median),\"best_cpu_ms_per_face\":\(cpu[0]),"
                  + "\"faces_per_second\":\(1000 / best),\"gflop_per_face\":\(gflop),"
                  + "\"gflops\":\(gflop / best * 1000),\"target\":\"\(FaceEmbedder.kernelTarget)\"}")
        } else {
            print(String(format: "embed batch %d threads %d: best %.3f ms/face (median %.3f, thread CPU %.3f), "
                         + "%.1f faces/s, %.1f GFLOP/s (%.4f GFLOP/face, ", batch, threads, best, median, cpu[0],
                         1000 / best, gflop / best * 1000, gflop)
                  + "\(FaceEmbedder.kernelTarget), \(wall.count) reps)")
        }
        if profile { try printProfile(embedder, Array(faces.prefix(batch))) }
    }

    private func printProfile(_ embedder: FaceEmbedder, _ chips: [Image]) throws {
        let steps = try embedder.profile(chips: chips, repetitions: max(2, 20 / chips.count))
        let total = steps.reduce(0) { $0 + $1.nanos }
        let perFace = 1e6 * Double(chips.count)
        print("per-step thread CPU time per face, batch of \(chips.count) (total "
              + String(format: "%.3f ms):", total / perFace))
        for (index, step) in steps.enumerated() {
            print(String(format: "%3d %8.3f ms %5.1f%%  ", index, step.nanos / perFace, 100 * step.nanos / total)
                  + step.label)
        }
    }
}
