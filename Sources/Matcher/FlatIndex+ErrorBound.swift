// Why the compact formats and the batch path return float32's exact answer.
//
// A screening pass computes a_y = ‖x_y‖² + ‖q‖² − 2·dot_y, where dot_y approximates q·x_y (from float16 or
// int8 codes, or by a GEMM-style sum in another order). With r_y = ‖q − x_y‖² in real arithmetic:
//   |dot_y − q·x_y| ≤ ‖q‖·δ + ε·(‖x‖ + δ) + (γ_d + 2u)·(‖q‖ + ε)·(‖x‖ + δ),
// δ = max ‖x − x̂‖ (measured at insertion), ε = ‖q − q̂‖ (the int8 screen quantises the query too, q̂ = s·codes,
// and sums codes exactly in int32, so only the conversion and the two scale products round: γ_3 ≤ γ_d + 2u
// for d ≥ 3; smaller d use γ_3; ε = 0 for the other screens).
//   |a_y − r_y|     ≤ E = 2·that + (γ_d + 4u)·(‖x‖²max + ‖q‖² + 2‖q‖‖x‖max)
// The canonical distance c_y (sequential FMA sum of non-negative terms) satisfies c_y ≥ (1 − γ_{d+2})·r_y.
// If the k-th best canonical distance among the candidates is D, every vector of the true top k has
// c_y ≤ D, hence r_y ≤ D / (1 − γ_{d+2}) and a_y ≤ D / (1 − γ_{d+2}) + E =: admission threshold.
// So when every vector not kept by the screen has a_y above the threshold, the candidates hold the exact
// answer; otherwise the collecting pass re-ranks every vector with a_y under it.
// (u = 2⁻²⁴; γ_n = n·u / (1 − n·u).) The threshold is evaluated in Double and widened by a relative 10⁻⁴ (far
// above the rounding of that evaluation, far below the gaps between neighbours) before rounding up to Float.

extension FlatIndex {
    /// The screening distance above which a vector cannot be among the `k` nearest, given the `k`-th best
    /// canonical distance found so far. Rounded up.
    /// `queryError` is ε, the bound on the query's own quantisation error (0 unless the screen quantised it).
    func admissionThreshold(kthDistance: Float, squaredQuery: Float, queryError: Double = 0) -> Float {
        let u = 0x1p-24 as Double
        let d = Double(dimension)
        func gamma(_ n: Double) -> Double { n * u / (1 - n * u) }
        let qNorm = Double(squaredQuery).squareRoot()
        let xNorm = Double(maxSquaredNorm).squareRoot()
        let delta = maxQuantizationError
        let epsilon = queryError
        let dotError = qNorm * delta + epsilon * (xNorm + delta)
            + (gamma(max(d, 3)) + 2 * u) * (qNorm + epsilon) * (xNorm + delta)
        let screenError = 2 * dotError
            + (gamma(d) + 4 * u) * (Double(maxSquaredNorm) + Double(squaredQuery) + 2 * qNorm * xNorm)
        let threshold = (Double(kthDistance) / (1 - gamma(d + 2)) + screenError) * (1 + 1e-4) + 1e-30
        return Float(threshold).nextUp
    }
}
