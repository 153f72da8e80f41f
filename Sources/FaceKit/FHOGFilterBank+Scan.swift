/// Every sub-detector's separable filters applied to one pyramid level together, plane by plane: the same
/// arithmetic as `FHOGFilterBank.apply` (its reference; results are bit-identical) arranged for the vector units.
///
/// - The terms of all sub-detectors that read one feature plane share that plane's copy and the loads of its
///   row pass (up to four terms per sweep).
/// - Buffers are 64-byte aligned, so the column pass reads whole cache lines; each sweep of the column pass
///   produces four output rows.
/// - Rows of the plane that are the zero padding around the cell grid are not filtered (their row pass is
///   exactly zero, which the scratch rows already hold).
///
/// Each term's row pass is Σₙ fₙ·x[c+n] and its column pass out += Σₘ gₘ·s[r+m], both in tap order with fused
/// multiply-adds from zero and from the running output, and each sub-detector's terms are added in its own
/// order — exactly as in the reference.
struct FHOGScanner {
    let rows: Int
    let cols: Int
    let detectors: Int
    /// Per feature plane, the terms that read it (indices), in each sub-detector's order.
    let termsByPlane: [[Int]]
    /// Per term: its sub-detector, its row filter (`cols` taps) and column filter (`rows` taps).
    let termDetector: [Int]
    let rowTaps: [Float]
    let columnTaps: [Float]

    /// nil when some bank filters with full filters (dlib's non-separable case).
    init?(banks: [FHOGFilterBank]) {
        guard let first = banks.first, banks.allSatisfy({ $0.usesSeparable && $0.rows == first.rows
                                                          && $0.cols == first.cols && $0.planes == first.planes })
        else { return nil }
        rows = first.rows
        cols = first.cols
        detectors = banks.count
        var byPlane = [[Int]](repeating: [], count: first.planes)
        var detector: [Int] = [], rowTaps: [Float] = [], columnTaps: [Float] = []
        for (index, bank) in banks.enumerated() {
            for term in bank.terms {
                byPlane[term.plane].append(detector.count)
                detector.append(index)
                rowTaps += term.row
                columnTaps += term.column
            }
        }
        termsByPlane = byPlane
        termDetector = detector
        self.rowTaps = rowTaps
        self.columnTaps = columnTaps
    }

    /// Reusable aligned buffers; sized by the first (largest) level scanned.
    final class Workspace {
        private(set) var plane: UnsafeMutablePointer<Float>
        private(set) var scratch: UnsafeMutablePointer<Float>
        private(set) var outputs: UnsafeMutablePointer<Float>
        private var planeCount = 0, scratchCount = 0, outputCount = 0

        init() {
            plane = Self.allocate(0)
            scratch = Self.allocate(0)
            outputs = Self.allocate(0)
        }

        deinit {
            plane.deallocate()
            scratch.deallocate()
            outputs.deallocate()
        }

        private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 16))
        }

        func reserve(plane p: Int, scratch s: Int, outputs o: Int) {
            if p > planeCount { plane.deallocate(); plane = Self.allocate(p); planeCount = p }
            if s > scratchCount { scratch.deallocate(); scratch = Self.allocate(s); scratchCount = s }
            if o > outputCount { outputs.deallocate(); outputs = Self.allocate(o); outputCount = o }
        }
    }

    /// The saliency of every sub-detector on `features`, into `results` (one per sub-detector, storage reused).
    func apply(to features: FHOGFeatures, into results: inout [FHOGSaliency], workspace: Workspace) {
        precondition(results.count == detectors, "one saliency per sub-detector")
        let firstRow = rows / 2, firstCol = cols / 2
        let outputRows = features.rows - (rows - 1) / 2 - firstRow
        let outputCols = features.cols - (cols - 1) / 2 - firstCol
        for d in 0..<detectors {
            results[d].firstRow = firstRow
            results[d].firstCol = firstCol
            results[d].outputRows = max(outputRows, 0)
            results[d].outputCols = max(outputCols, 0)
        }
        guard outputRows > 0, outputCols > 0 else { return }
        let stride = (outputCols + 15) / 16 * 16
        // Row-pass reads run up to stride + cols − 1 floats into a plane row.
        let planeStride = (stride + cols + 15) / 16 * 16
        let outCount = outputRows * stride
        let group = 4
        let scratchSize = features.rows * stride
        workspace.reserve(plane: features.rows * planeStride, scratch: group * scratchSize,
                          outputs: detectors * outCount)
        let plane = workspace.plane, scratch = workspace.scratch, outputs = workspace.outputs
        outputs.update(repeating: 0, count: detectors * outCount)
        plane.update(repeating: 0, count: features.rows * planeStride)
        scratch.update(repeating: 0, count: group * scratchSize)
        // Rows outside the cell grid are zero in every plane (`FHOGFeatures` padding).
        let gridTop = (rows - 1) / 2, gridRows = features.rows - (rows - 1)
        features.values.withUnsafeBufferPointer { values in
        rowTaps.withUnsafeBufferPointer { rowTaps in
        columnTaps.withUnsafeBufferPointer { columnTaps in
            let rowTaps = rowTaps.baseAddress!, columnTaps = columnTaps.baseAddress!
            for (p, terms) in termsByPlane.enumerated() where !terms.isEmpty {
                let source = values.baseAddress! + p * features.planeSize
                for r in gridTop..<gridTop + gridRows {
                    (plane + r * planeStride).update(from: source + r * features.cols, count: features.cols)
                }
                var start = 0
                while start < terms.count {
                    let count = terms.count - start >= group ? group : 1
                    FHOGScanKernels.rowPass(plane + gridTop * planeStride, planeStride: planeStride, rows: gridRows,
                                            vectors: stride / 16, taps: cols, filters: rowTaps, terms: terms,
                                            first: start, count: count, out: scratch + gridTop * stride,
                                            outStride: stride, termStride: scratchSize)
                    for k in 0..<count {
                        let term = terms[start + k]
                        FHOGScanKernels.columnAccumulate(scratch + k * scratchSize, stride: stride,
                                                         outputRows: outputRows, filter: columnTaps + term * rows,
                                                         taps: rows, out: outputs + termDetector[term] * outCount)
                    }
                    start += count
                }
            }
        }}}
        for d in 0..<detectors {
            if results[d].values.count < outCount + 16 { results[d].values = [Float](repeating: 0, count: outCount + 16) }
            results[d].stride = stride
            results[d].values.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: outputs + d * outCount, count: outCount)
            }
        }
    }
}

/// The vector loops of `FHOGScanner` on raw pointers (callers own the bounds: rows are read 16 floats at a time up
/// to `stride`, plane rows up to `stride + taps − 1`).
enum FHOGScanKernels {
    /// For `count` (1 or 4) terms: out_k[r][c] = Σₙ f_k[n]·plane[r][c+n], the plane's loads shared.
    static func rowPass(_ plane: UnsafePointer<Float>, planeStride: Int, rows: Int, vectors: Int, taps: Int,
                        filters: UnsafePointer<Float>, terms: [Int], first: Int, count: Int,
                        out: UnsafeMutablePointer<Float>, outStride: Int, termStride: Int) {
        if count == 4 {
            let f0 = filters + terms[first] * taps, f1 = filters + terms[first + 1] * taps
            let f2 = filters + terms[first + 2] * taps, f3 = filters + terms[first + 3] * taps
            for r in 0..<rows {
                let input = UnsafeRawPointer(plane + r * planeStride)
                let output = UnsafeMutableRawPointer(out + r * outStride)
                for v in 0..<vectors {
                    var a0 = SIMD16<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
                    for n in 0..<taps {
                        let x = input.loadUnaligned(fromByteOffset: (v &* 16 &+ n) &* 4, as: SIMD16<Float>.self)
                        a0 = a0.addingProduct(x, f0[n])
                        a1 = a1.addingProduct(x, f1[n])
                        a2 = a2.addingProduct(x, f2[n])
                        a3 = a3.addingProduct(x, f3[n])
                    }
                    let o = v &* 64
                    output.storeBytes(of: a0, toByteOffset: o, as: SIMD16<Float>.self)
                    output.storeBytes(of: a1, toByteOffset: o &+ termStride &* 4, as: SIMD16<Float>.self)
                    output.storeBytes(of: a2, toByteOffset: o &+ termStride &* 8, as: SIMD16<Float>.self)
                    output.storeBytes(of: a3, toByteOffset: o &+ termStride &* 12, as: SIMD16<Float>.self)
                }
            }
        } else {
            let f0 = filters + terms[first] * taps
            for r in 0..<rows {
                let input = UnsafeRawPointer(plane + r * planeStride)
                let output = UnsafeMutableRawPointer(out + r * outStride)
                for v in 0..<vectors {
                    var a0 = SIMD16<Float>(repeating: 0)
                    for n in 0..<taps {
                        let x = input.loadUnaligned(fromByteOffset: (v &* 16 &+ n) &* 4, as: SIMD16<Float>.self)
                        a0 = a0.addingProduct(x, f0[n])
                    }
                    output.storeBytes(of: a0, toByteOffset: v &* 64, as: SIMD16<Float>.self)
                }
            }
        }
    }

    /// out[r][c] += Σₘ filter[m]·scratch[r+m][c] for `outputRows` rows, four output rows per sweep.
    static func columnAccumulate(_ scratch: UnsafePointer<Float>, stride: Int, outputRows: Int,
                                 filter: UnsafePointer<Float>, taps: Int, out: UnsafeMutablePointer<Float>) {
        let vectors = stride / 16
        var r = 0
        while r + 4 <= outputRows {
            for v in 0..<vectors {
                let o = UnsafeMutableRawPointer(out + r * stride + v * 16)
                let s = UnsafeRawPointer(scratch + r * stride + v * 16)
                let rowBytes = stride &* 4
                var a0 = o.load(as: SIMD16<Float>.self)
                var a1 = o.load(fromByteOffset: rowBytes, as: SIMD16<Float>.self)
                var a2 = o.load(fromByteOffset: 2 &* rowBytes, as: SIMD16<Float>.self)
                var a3 = o.load(fromByteOffset: 3 &* rowBytes, as: SIMD16<Float>.self)
                for m in 0..<taps {
                    let g = filter[m], at = m &* rowBytes
                    a0 = a0.addingProduct(s.load(fromByteOffset: at, as: SIMD16<Float>.self), g)
                    a1 = a1.addingProduct(s.load(fromByteOffset: at &+ rowBytes, as: SIMD16<Float>.self), g)
                    a2 = a2.addingProduct(s.load(fromByteOffset: at &+ 2 &* rowBytes, as: SIMD16<Float>.self), g)
                    a3 = a3.addingProduct(s.load(fromByteOffset: at &+ 3 &* rowBytes, as: SIMD16<Float>.self), g)
                }
                o.storeBytes(of: a0, as: SIMD16<Float>.self)
                o.storeBytes(of: a1, toByteOffset: rowBytes, as: SIMD16<Float>.self)
                o.storeBytes(of: a2, toByteOffset: 2 &* rowBytes, as: SIMD16<Float>.self)
                o.storeBytes(of: a3, toByteOffset: 3 &* rowBytes, as: SIMD16<Float>.self)
            }
            r += 4
        }
        while r < outputRows {
            for v in 0..<vectors {
                let o = UnsafeMutableRawPointer(out + r * stride + v * 16)
                let s = UnsafeRawPointer(scratch + r * stride + v * 16)
                var a0 = o.load(as: SIMD16<Float>.self)
                for m in 0..<taps {
                    a0 = a0.addingProduct(s.load(fromByteOffset: m &* stride &* 4, as: SIMD16<Float>.self), filter[m])
                }
                o.storeBytes(of: a0, as: SIMD16<Float>.self)
            }
            r += 1
        }
    }
}
