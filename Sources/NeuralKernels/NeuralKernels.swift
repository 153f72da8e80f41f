internal import CNeuralTarget

/// The SIMD target this module was compiled for, and the GEMM register blocking chosen from it.
///
/// Swift has no `#if` on CPU features, so the values come from `CNeuralTarget.h`, which the clang importer
/// evaluates with this module's `-Xcc -march=` flags. They are compile-time constants: every branch on them
/// folds away in a release build.
public enum KernelTarget {
    /// Widest vector register the compiler may use: 512 (AVX-512), 256 (AVX2+FMA) or 128 (SSE2 baseline, NEON).
    public static let vectorBits = Int(CNeuralTarget_VECTOR_BITS)

    /// Whether a fused multiply-add instruction exists; without it `addingProduct` is a libm call per lane.
    public static let hasFMA = CNeuralTarget_HAS_FMA != 0

    /// Rows of C computed by one microkernel call (output pixels in a convolution).
    @inline(__always)
    static var mr: Int { vectorBits == 512 ? 8 : (vectorBits == 256 ? 6 : 4) }

    /// Columns of C computed by one microkernel call (output channels in a convolution).
    @inline(__always)
    static var nr: Int { vectorBits == 512 ? 32 : 16 }

    /// A short human-readable description, e.g. `avx512 8x32 fma`.
    public static var description: String {
        let isa = vectorBits == 512 ? "avx512" : (vectorBits == 256 ? "avx2" : "128-bit")
        return "\(isa) \(mr)x\(nr) \(hasFMA ? "fma" : "no-fma")"
    }
}

/// `acc + a * b`, fused when the target has FMA and as a separate multiply and add otherwise (never a libm call).
@inline(__always)
func multiplyAdd(_ acc: SIMD16<Float>, _ a: Float, _ b: SIMD16<Float>) -> SIMD16<Float> {
    KernelTarget.hasFMA ? acc.addingProduct(a, b) : acc + a * b
}

/// Vector form of `multiplyAdd`.
@inline(__always)
func multiplyAdd(_ acc: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    KernelTarget.hasFMA ? acc.addingProduct(a, b) : acc + a * b
}
