/// Filter responses ("saliency") of a filter bank over FHOG planes.
///
/// The output covers the positions where the whole filter lies inside the padded planes: rows
/// `rows/2 ..< planeRows − (rows−1)/2` and the same for columns (dlib's `non_border` rectangle). It is
/// stored compactly, `outputRows × outputCols` with row stride `stride` (a multiple of 16).
struct FHOGSaliency {
    var firstRow = 0
    var firstCol = 0
    var outputRows = 0
    var outputCols = 0
    var stride = 0
    var values: [Float] = []

    func value(row: Int, col: Int) -> Float { values[(row - firstRow) * stride + (col - firstCol)] }
}

extension FHOGFilterBank {
    /// Computes the saliency of `features` into `result`, reusing its storage; `scratch` is a work buffer.
    func apply(to features: FHOGFeatures, into result: inout FHOGSaliency, scratch: inout [Float]) {
        let firstRow = rows / 2, firstCol = cols / 2
        let outputRows = features.rows - (rows - 1) / 2 - firstRow
        let outputCols = features.cols - (cols - 1) / 2 - firstCol
        result.firstRow = firstRow
        result.firstCol = firstCol
        result.outputRows = max(outputRows, 0)
        result.outputCols = max(outputCols, 0)
        guard outputRows > 0, outputCols > 0 else { return }
        let stride = (outputCols + 15) / 16 * 16
        result.stride = stride
        let outCount = outputRows * stride
        if result.values.count < outCount + 16 { result.values = [Float](repeating: 0, count: outCount + 16) }
        let scratchCount = features.rows * stride + 16
        if scratch.count < scratchCount { scratch = [Float](repeating: 0, count: scratchCount) }
        // Reads run past a plane row by up to stride−outputCols+cols−1 floats: copy each plane with a margin.
        let planeStride = stride + cols
        var plane = [Float](repeating: 0, count: (features.rows + 1) * planeStride)
        result.values.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            out.update(repeating: 0, count: outCount)
            features.values.withUnsafeBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    plane.withUnsafeMutableBufferPointer { plane in
                        var currentPlane = -1
                        if usesSeparable {
                            for term in terms {
                                if term.plane != currentPlane {
                                    currentPlane = term.plane
                                    copyPlane(source.baseAddress! + term.plane * features.planeSize, features.rows,
                                              features.cols, into: plane.baseAddress!, stride: planeStride)
                                }
                                term.row.withUnsafeBufferPointer { row in
                                    term.column.withUnsafeBufferPointer { column in
                                        FHOGKernels.rowPass(plane.baseAddress!, planeStride: planeStride,
                                                            rows: features.rows, vectors: stride / 16, filter: row.baseAddress!,
                                                            taps: cols, out: scratch.baseAddress!, stride: stride)
                                        FHOGKernels.columnAccumulate(scratch.baseAddress!, stride: stride,
                                                                     outputRows: outputRows, filter: column.baseAddress!,
                                                                     taps: rows, out: out)
                                    }
                                }
                            }
                        } else {
                            filters.withUnsafeBufferPointer { filters in
                                for p in 0..<planes {
                                    copyPlane(source.baseAddress! + p * features.planeSize, features.rows, features.cols,
                                              into: plane.baseAddress!, stride: planeStride)
                                    for m in 0..<rows {
                                        FHOGKernels.rowAccumulate(plane.baseAddress! + m * planeStride,
                                                                  planeStride: planeStride, rows: outputRows,
                                                                  vectors: stride / 16,
                                                                  filter: filters.baseAddress! + (p * rows + m) * cols,
                                                                  taps: cols, out: out, stride: stride)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func copyPlane(_ source: UnsafePointer<Float>, _ rows: Int, _ cols: Int,
                           into plane: UnsafeMutablePointer<Float>, stride: Int) {
        for r in 0..<rows {
            (plane + r * stride).update(from: source + r * cols, count: cols)
        }
    }
}

/// The SIMD loops of filtering, on raw pointers (callers own the bounds: every row may be read and
/// written 16-float-vector-wise up to `stride`, inputs up to `stride + taps − 1`).
enum FHOGKernels {
    /// out[r][c] = Σₙ filter[n]·plane[r][c+n] for every row of the plane.
    static func rowPass(_ plane: UnsafePointer<Float>, planeStride: Int, rows: Int, vectors: Int,
                        filter: UnsafePointer<Float>, taps: Int, out: UnsafeMutablePointer<Float>, stride: Int) {
        for r in 0..<rows {
            let input = UnsafeRawPointer(plane + r * planeStride)
            let output = UnsafeMutableRawPointer(out + r * stride)
            for v in 0..<vectors {
                var acc = SIMD16<Float>(repeating: 0)
                for n in 0..<taps {
                    let x = input.loadUnaligned(fromByteOffset: (v * 16 + n) * 4, as: SIMD16<Float>.self)
                    acc = acc.addingProduct(x, filter[n])
                }
                output.storeBytes(of: acc, toByteOffset: v * 64, as: SIMD16<Float>.self)
            }
        }
    }

    /// out[r][c] += Σₘ filter[m]·scratch[r+m][c] for `outputRows` rows.
    static func columnAccumulate(_ scratch: UnsafePointer<Float>, stride: Int, outputRows: Int,
                                 filter: UnsafePointer<Float>, taps: Int, out: UnsafeMutablePointer<Float>) {
        let vectors = stride / 16
        for r in 0..<outputRows {
            let output = UnsafeMutableRawPointer(out + r * stride)
            for v in 0..<vectors {
                var acc = output.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
                for m in 0..<taps {
                    let x = UnsafeRawPointer(scratch + (r + m) * stride).loadUnaligned(fromByteOffset: v * 64,
                                                                                      as: SIMD16<Float>.self)
                    acc = acc.addingProduct(x, filter[m])
                }
                output.storeBytes(of: acc, toByteOffset: v * 64, as: SIMD16<Float>.self)
            }
        }
    }

    /// out[r][c] += Σₙ filter[n]·plane[r][c+n] for `rows` rows (one filter row of a full filter).
    static func rowAccumulate(_ plane: UnsafePointer<Float>, planeStride: Int, rows: Int, vectors: Int,
                              filter: UnsafePointer<Float>, taps: Int, out: UnsafeMutablePointer<Float>, stride: Int) {
        for r in 0..<rows {
            let input = UnsafeRawPointer(plane + r * planeStride)
            let output = UnsafeMutableRawPointer(out + r * stride)
            for v in 0..<vectors {
                var acc = output.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
                for n in 0..<taps {
                    let x = input.loadUnaligned(fromByteOffset: (v * 16 + n) * 4, as: SIMD16<Float>.self)
                    acc = acc.addingProduct(x, filter[n])
                }
                output.storeBytes(of: acc, toByteOffset: v * 64, as: SIMD16<Float>.self)
            }
        }
    }
}
