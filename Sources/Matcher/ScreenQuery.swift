import CMatcherKernels

/// A query as the compact screens read it: its float32 components and `‖q‖²`, and for the int8 format its own
/// int8 codes, so the screen is an exact integer dot product (`vpdpbusd` where the CPU has AVX-512 VNNI).
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

extension FlatIndex {
    /// The int8 screening kernel this CPU runs: `"avx512-vnni"` or `"portable"`.
    public static let int8Kernel = slm_has_avx512_vnni() != 0 ? "avx512-vnni" : "portable"
}
