import CMatcherKernels
import Foundation
import Testing
@testable import Matcher

/// The int8 dispatcher: which kernels this CPU may run (checked against the kernel's own CPU flags in
/// /proc/cpuinfo, so no kernel is ever offered where its instructions are missing), the `SIGHTLINE_ISA` cap's
/// parser, and the choice under a cap. The environment variable itself is read once per process; reading it is
/// tested by Tools/test-kernels, which runs the C test with each value.
@Suite struct Int8KernelDispatchTests {
    @Test func swiftNumbersAreTheCNumbers() {
        #expect(Int8Kernel.portable.rawValue == SLM_KERNEL_PORTABLE)
        #expect(Int8Kernel.avx2.rawValue == SLM_KERNEL_AVX2)
        #expect(Int8Kernel.avxVNNI.rawValue == SLM_KERNEL_AVX_VNNI)
        #expect(Int8Kernel.avx512VNNI.rawValue == SLM_KERNEL_AVX512_VNNI)
        #expect(Int8Kernel.neonDotProduct.rawValue == SLM_KERNEL_NEON_DOTPROD)
        #expect(Int8Kernel.allCases.count == Int(SLM_KERNEL_COUNT))
        #expect(Int8Kernel.allCases.map(\.description)
                == ["portable", "avx2", "avx-vnni", "avx512-vnni", "neon-dotprod"])
        #expect(String(cString: slm_kernel_name(99)) == "unknown" && slm_kernel_supported(99) == 0)
    }

    /// The CPU flags Linux reports (`/proc/cpuinfo`), or nil elsewhere.
    static func cpuFlags() -> Set<Substring>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") }
        return line.map { Set($0.split(separator: ":").dropFirst().joined().split(separator: " ")) }
    }

    @Test func supportedKernelsMatchTheCPUFlags() throws {
        #expect(Int8Kernel.portable.isSupported)
        #expect(Int8Kernel.selected.isSupported, "the dispatcher picks only what this CPU runs")
        #if arch(x86_64) && os(Linux)
        let flags = try #require(Self.cpuFlags())
        let avx2 = flags.contains("avx2")
        #expect(Int8Kernel.avx2.isSupported == avx2)
        #expect(Int8Kernel.avxVNNI.isSupported == (avx2 && flags.contains("avx_vnni")))
        #expect(Int8Kernel.avx512VNNI.isSupported
                == (flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512_vnni")))
        #expect(!Int8Kernel.neonDotProduct.isSupported)
        #elseif arch(arm64) && os(Linux)
        let flags = try #require(Self.cpuFlags())
        #expect(Int8Kernel.neonDotProduct.isSupported == flags.contains("asimddp"))
        #expect(!Int8Kernel.avx2.isSupported && !Int8Kernel.avxVNNI.isSupported && !Int8Kernel.avx512VNNI.isSupported)
        #endif
    }

    @Test func selectedIsTheBestUnderTheCap() {
        // The test process may run with SIGHTLINE_ISA set (a capped run of the suite): compare with the cap it set.
        var rank: Int32 = 3
        let value = ProcessInfo.processInfo.environment["SIGHTLINE_ISA"] ?? ""
        if !value.isEmpty, slm_parse_isa_cap(value, &rank) != 0 { rank = 3 }
        let best = Int8Kernel.supported.filter { slm_kernel_rank($0.rawValue) <= rank }
            .max { slm_kernel_rank($0.rawValue) < slm_kernel_rank($1.rawValue) } ?? .portable
        #expect(Int8Kernel.selected == best)
        #expect(FlatIndex.int8Kernel == best.description)
        #expect((Int8Kernel.isaCapWarning != nil) == (!value.isEmpty && slm_parse_isa_cap(value, &rank) != 0))
    }

    @Test(arguments: [("portable", 0), ("avx2", 1), ("neon", 1), ("avx-vnni", 2), ("avx512", 3)] as [(String, Int32)])
    func capValuesParse(value: String, rank expected: Int32) {
        var rank: Int32 = -7
        #expect(slm_parse_isa_cap(value, &rank) == 0)
        #expect(rank == expected)
    }

    @Test(arguments: ["", "AVX2", "avx2 ", "avx", "avx512vnni", "native", "x86-64-v3", "portable\n"])
    func otherCapValuesAreRefused(value: String) {
        var rank: Int32 = -7
        #expect(slm_parse_isa_cap(value, &rank) == -1)
        #expect(rank == -7, "a refused value leaves the rank alone")
    }

    @Test func selectionHonoursTheCapAndTheCPU() {
        func mask(_ kernels: [Int8Kernel]) -> UInt32 { kernels.reduce(0) { $0 | 1 << UInt32($1.rawValue) } }
        let x86 = mask([.portable, .avx2, .avxVNNI, .avx512VNNI])
        #expect(slm_select_kernel(x86, 3) == Int8Kernel.avx512VNNI.rawValue)
        #expect(slm_select_kernel(x86, 2) == Int8Kernel.avxVNNI.rawValue)
        #expect(slm_select_kernel(x86, 1) == Int8Kernel.avx2.rawValue)
        #expect(slm_select_kernel(x86, 0) == Int8Kernel.portable.rawValue)
        // A CPU without AVX-VNNI (Zen 4, Ice Lake server) under the avx-vnni cap: AVX2, never AVX-VNNI.
        #expect(slm_select_kernel(mask([.portable, .avx2, .avx512VNNI]), 2) == Int8Kernel.avx2.rawValue)
        // An N100: AVX-VNNI without AVX-512.
        #expect(slm_select_kernel(mask([.portable, .avx2, .avxVNNI]), 3) == Int8Kernel.avxVNNI.rawValue)
        #expect(slm_select_kernel(mask([.portable]), 3) == Int8Kernel.portable.rawValue)
        let arm = mask([.portable, .neonDotProduct])
        #expect(slm_select_kernel(arm, 3) == Int8Kernel.neonDotProduct.rawValue)
        #expect(slm_select_kernel(arm, 1) == Int8Kernel.neonDotProduct.rawValue)
        #expect(slm_select_kernel(arm, 0) == Int8Kernel.portable.rawValue)
    }

    @Test func unsupportedKernelsRunThePortableLoop() {
        // Asking for a kernel this CPU lacks (here: the other architecture's) gives the portable sums, never SIGILL.
        let other: Int8Kernel
        #if arch(x86_64)
        other = .neonDotProduct
        #else
        other = .avx512VNNI
        #endif
        #expect(!other.isSupported)
        let quads = 2, bytes = [UInt8](repeating: 200, count: quads * 256)
        let query: [Int8] = [1, -2, 3, -4, 5, -6, 7, -8]
        var got = [Int32](repeating: 0, count: 64)
        slm_dots_i8_kernel(other.rawValue, bytes, quads, 1, query, &got)
        #expect(got == [Int32](repeating: 72 * (1 - 2 + 3 - 4 + 5 - 6 + 7 - 8), count: 64))
    }
}
