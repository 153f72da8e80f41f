import Foundation
internal import CFuzzerDriver

/// Starts libFuzzer's driver with the command line, calling `callback` once per input, and exits with
/// its status. SwiftPM links executables with `main` aliased to the module's entry, so libFuzzer's own
/// `main` is never pulled in. When `SIGHTLINE_FUZZ_SEEDS=DIR` is set, writes `seeds()` into DIR
/// instead (one file per seed) and exits: Makefile.fuzz seeds the corpus this way.
public func runFuzzer(seeds: () -> [(name: String, bytes: [UInt8])],
                      _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    if let directory = ProcessInfo.processInfo.environment["SIGHTLINE_FUZZ_SEEDS"] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for seed in seeds() {
                try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(seed.name))
            }
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("cannot write seeds into \(directory): \(error)\n".utf8))
            exit(1)
        }
    }
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
        argvPointer.withMemoryRebound(to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1) {
            LLVMFuzzerRunDriver(&argc, $0, callback)
        }
    }
    exit(status)
}

/// Stops the fuzzer with a message (libFuzzer records the input as a crash).
public func fuzzFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz invariant broken: \(message)\n".utf8))
    abort()
}
