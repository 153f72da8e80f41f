import Glibc
internal import CFuzzerDriver

// SwiftPM links executables with `main` aliased to the module's entry, so libFuzzer's own `main`
// is never pulled in: start its driver from here instead.
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
    argvPointer.withMemoryRebound(to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1) {
        LLVMFuzzerRunDriver(&argc, $0) { data, size in fuzzOneInput(data!, size) }
    }
}
exit(status)
