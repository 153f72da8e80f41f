import ArgumentParser
import SightlineCore

/// `sightline-bench`: micro-benchmarks of Sightline's own paths, printed for the scripts in `Benchmarks/`
/// that run the peers beside them. A developer's tool: built by `make build` and `make bench`, not installed.
@main
struct SightlineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline-bench",
        abstract: "Benchmark Sightline's hot paths (for Benchmarks/*/bench).",
        version: SightlineVersion.string,
        subcommands: [
            Decode.self, BenchMatcher.self, Embed.self, FacesBench.self, EventsBenchEmit.self, EventsBenchIngest.self,
            VideoBench.self, FleetBench.self, Raw.self,
        ])
}
