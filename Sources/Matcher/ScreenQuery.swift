import CMatcherKernels
import CNeuralTarget

/// A query as the compact screens read it: its float32 components and `‖q‖²`, and for the int8 format its own
/// int8 codes, so the screen is an exact integer dot product (`Int8Kernel`).
///
/// Borrows `vector` for the duration of one search; immutable, so concurrent scan threads may share it.
struct ScreenQuery: @unchecked Sendable {
    /// The query, `dimension` floats (normalised for cosine).
    let vector: UnsafePointer<Float>
    /// `‖q‖²`, sequential float32 FMA sum.
    let squaredNorm: Float
    /// int8 format: `round(q_j / scale)` in [-127, 127], padded with zeros to a multiple of 4. Empty otherwise.
    let codes: [Int8]
    /// int8 format: `max|q_j| / 127`; 0 otherwise.
    let scale: Float
    /// Upper bound on `‖q − scale · codes‖` (0 when the query is not quantised); enters the screen's error bound.
    let quantizationError: Double

    /// Prepares `q` (`dimension` floats) for `format`'s screen.
    init(_ q: UnsafePointer<Float>, dimension d: Int, format: StorageFormat) {
        vector = q
        squaredNorm = Reference.dot(q, q, dimension: d)
        guard format == .int8 else {
            codes = []
            scale = 0
            quantizationError = 0
            return
        }
        var s: Float = 0, squaredError: Double = 0
        codes = [Int8](unsafeUninitializedCapacity: (d + 3) / 4 * 4) { buffer, initialized in
            squaredError = slm_quantize_i8(q, d, buffer.count, buffer.baseAddress!, &s)
            initialized = buffer.count
        }
        scale = s
        // The double sum of squares rounds far less than this margin.
        quantizationError = squaredError.squareRoot() * (1 + 1e-6)
    }
}

/// The int8 screening kernels of CMatcherKernels (the numbers are its `SLM_KERNEL_*`). The dispatcher runs
/// `selected`; every kernel returns the same exact integer sums and the same screening distances, bit for bit.
public enum Int8Kernel: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Any CPU: a C loop the compiler vectorises.
    case portable = 0
    /// x86-64 with AVX2: `vpmaddubsw`/`vpmaddwd` on the codes and |codes| (never saturates; see the C file).
    case avx2 = 1
    /// x86-64 with AVX-VNNI (Alder Lake, N100 class): `vpdpbusd` on 256-bit registers.
    case avxVNNI = 2
    /// x86-64 with AVX-512 F, BW and VNNI: `vpdpbusd` on 512-bit registers.
    case avx512VNNI = 3
    /// aarch64 with the NEON dot-product extension (`sdot`; Cortex-A76/Raspberry Pi 5, Jetson Orin).
    case neonDotProduct = 4

    /// The name the C library gives it: `"portable"`, `"avx2"`, `"avx-vnni"`, `"avx512-vnni"`, `"neon-dotprod"`.
    public var description: String { String(cString: slm_kernel_name(rawValue)) }

    /// Whether this CPU can run it (CPUID on x86-64, `AT_HWCAP` on aarch64 Linux).
    public var isSupported: Bool { slm_kernel_supported(rawValue) != 0 }

    /// Every kernel this CPU can run, portable first.
    public static var supported: [Int8Kernel] { allCases.filter(\.isSupported) }

    /// The kernel searches run: the best this CPU supports, at most the level `SIGHTLINE_ISA` allows
    /// (`portable`, `avx2` or `neon`, `avx-vnni`, `avx512`; read once). An unknown value is ignored with a
    /// warning on standard error (see `isaCapWarning`).
    public static let selected = Int8Kernel(rawValue: slm_kernel_selected()) ?? .portable

    /// Why `SIGHTLINE_ISA` was ignored, or nil when it was unset, empty or valid.
    public static var isaCapWarning: String? { slm_isa_cap_warning().map { String(cString: $0) } }
}

extension FlatIndex {
    /// The int8 screening kernel this process runs (`Int8Kernel.selected`'s name), e.g. `"avx512-vnni"`.
    public static let int8Kernel = Int8Kernel.selected.description

    /// The register width the float32 and float16 scans were compiled for (`SIGHTLINE_MARCH` at build time, not
    /// `SIGHTLINE_ISA`): 512 (AVX-512), 256 (AVX2 + FMA, x86-64-v3) or 128 (SSE2 baseline, NEON).
    public static let floatVectorBits = Int(CNeuralTarget_VECTOR_BITS)
}
