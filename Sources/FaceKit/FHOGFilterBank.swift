/// One HOG detector's linear filter, prepared for scanning: per feature plane, the rank-1 (separable)
/// terms of the filter's singular value decomposition, as dlib's `build_fhog_filterbank` makes them.
///
/// dlib drops singular values below max(1e-4, 0.001·σmax) and filters with the remaining terms when
/// there are fewer of them than filters·min(rows, cols)/3 — true of the frontal face detector, whose
/// filters were trained with a nuclear-norm penalty. The full filters are kept for the other case.
struct FHOGFilterBank: Sendable {
    /// A rank-1 term: `column` (length `rows`) times `row` (length `cols`).
    struct SeparableTerm: Sendable {
        var plane: Int
        var row: [Float]
        var column: [Float]
    }

    let rows: Int
    let cols: Int
    /// Full filters, plane-major, `planes × rows × cols`, as floats.
    let filters: [Float]
    let terms: [SeparableTerm]
    let planes: Int

    /// Whether dlib would scan with the separable terms.
    var usesSeparable: Bool {
        Double(terms.count) <= Double(planes) * Double(min(rows, cols)) / 3.0
    }

    init(weights: [Double], planes: Int, rows: Int, cols: Int) {
        precondition(weights.count == planes * rows * cols, "weights do not match the filter shape")
        self.rows = rows
        self.cols = cols
        self.planes = planes
        filters = weights.map { Float($0) }
        var terms: [SeparableTerm] = []
        for plane in 0..<planes {
            let start = plane * rows * cols
            let svd = SmallSVD(matrix: Array(weights[start..<start + rows * cols]), rows: rows, cols: cols)
            let largest = svd.singularValues.max() ?? 0
            let threshold = max(1e-4, largest * 0.001)
            for j in svd.singularValues.indices.sorted(by: { svd.singularValues[$0] > svd.singularValues[$1] }) {
                let sigma = svd.singularValues[j]
                guard sigma >= threshold else { continue }
                let root = sigma.squareRoot()
                terms.append(SeparableTerm(plane: plane,
                                           row: (0..<cols).map { Float(svd.v[$0 * cols + j] * root) },
                                           column: (0..<rows).map { Float(svd.u[$0 * cols + j] * root) }))
            }
        }
        self.terms = terms
    }
}

/// Singular value decomposition of a small dense matrix (rows ≥ cols) by one-sided Jacobi rotations, in
/// double: A = U·diag(σ)·Vᵀ with U `rows×cols`, V `cols×cols`, both row-major.
struct SmallSVD {
    var u: [Double]
    var v: [Double]
    var singularValues: [Double]

    init(matrix: [Double], rows: Int, cols: Int) {
        precondition(rows >= cols && matrix.count == rows * cols, "SmallSVD needs rows ≥ cols")
        var a = matrix
        var v = [Double](repeating: 0, count: cols * cols)
        for i in 0..<cols { v[i * cols + i] = 1 }
        for _ in 0..<60 {
            var rotated = false
            for p in 0..<cols {
                for q in (p + 1)..<max(cols, p + 1) where q < cols {
                    var alpha = 0.0, beta = 0.0, gamma = 0.0
                    for k in 0..<rows {
                        let x = a[k * cols + p], y = a[k * cols + q]
                        alpha += x * x
                        beta += y * y
                        gamma += x * y
                    }
                    guard abs(gamma) > 1e-15 * (alpha * beta).squareRoot(), gamma != 0 else { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot()
                    let s = c * t
                    for k in 0..<rows {
                        let x = a[k * cols + p], y = a[k * cols + q]
                        a[k * cols + p] = c * x - s * y
                        a[k * cols + q] = s * x + c * y
                    }
                    for k in 0..<cols {
                        let x = v[k * cols + p], y = v[k * cols + q]
                        v[k * cols + p] = c * x - s * y
                        v[k * cols + q] = s * x + c * y
                    }
                }
            }
            if !rotated { break }
        }
        var sigma = [Double](repeating: 0, count: cols)
        for j in 0..<cols {
            var sum = 0.0
            for k in 0..<rows { sum += a[k * cols + j] * a[k * cols + j] }
            sigma[j] = sum.squareRoot()
            if sigma[j] > 0 {
                for k in 0..<rows { a[k * cols + j] /= sigma[j] }
            }
        }
        u = a
        self.v = v
        singularValues = sigma
    }
}
