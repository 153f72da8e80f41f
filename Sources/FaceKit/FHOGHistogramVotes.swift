internal import CNeuralTarget

/// The bilinear orientation votes of FHOG pixel rows into the cell histograms, as dlib casts them, fast.
///
/// Each pixel adds its magnitude, weighted by its distance to the four nearest cell centres, to its orientation
/// bin in those cells (dlib's order of operations: its vector loop's pixels multiply `vy·(wx·v)`, the rest
/// `(vy·wx)·v`). The weights of a row are computed with vector arithmetic; the additions then run with the 18
/// bins of the four cells a pixel votes into held in vector registers, each vote added to its bin's lane as a
/// one-hot vector times the vote (the other lanes gain +0, which leaves a non-negative sum unchanged).
/// Every bin still receives the same additions in the same order as in dlib's pixel-by-pixel loop (a pixel votes
/// into columns j and j+1; pixels of column j−1 come before those of column j), so the sums are bit-identical.
struct HistogramVotes {
    /// Whether this module's `-march` has FMA (a compile-time constant, as `KernelTarget.hasFMA`).
    static let targetHasFMA = CNeuralTarget_HAS_FMA != 0

    let count: Int
    let vectorCount: Int
    /// Cell column of each pixel's left cell, and the weights of the left (wx1) and right (wx0) cells.
    private var column: [Int32]
    private var wx0: [Float]
    private var wx1: [Float]
    /// Per pixel of the current row: its votes to the upper-left, lower-left, upper-right and lower-right cells.
    private var weighted: [Float]

    init(count: Int, vectorCount: Int, cellSize: Int) {
        self.count = count
        self.vectorCount = vectorCount
        column = [Int32](repeating: 0, count: count)
        wx0 = [Float](repeating: 0, count: count)
        wx1 = [Float](repeating: 0, count: count)
        weighted = [Float](repeating: 0, count: 4 * count)
        for i in 0..<count {
            let x = i + 1
            if i < vectorCount {
                let xp = (Float(x) + 0.5) / Float(cellSize) + 0.5
                let ixp = Int(xp)
                column[i] = Int32(ixp)
                wx0[i] = xp - Float(ixp)
            } else {
                let xp = Float((Double(x) + 0.5) / Double(cellSize) - 0.5)
                let ixp = Int(xp.rounded(.down))
                column[i] = Int32(ixp + 1)
                wx0[i] = xp - Float(ixp)
            }
            wx1[i] = 1 - wx0[i]
        }
    }

    /// Adds one pixel row's votes to the histogram rows above (`upper`) and below (`lower`) it; each histogram
    /// row is 18 floats per cell column.
    mutating func cast(magnitudes mag: UnsafePointer<Float>, bins: UnsafePointer<Int32>, vy0: Float,
                       upper: UnsafeMutablePointer<Float>, lower: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        let vy1 = 1 - vy0
        let count = count, vectorCount = vectorCount
        column.withUnsafeBufferPointer { column in
        wx0.withUnsafeBufferPointer { wx0 in
        wx1.withUnsafeBufferPointer { wx1 in
        weighted.withUnsafeMutableBufferPointer { weighted in
            let wx0 = wx0.baseAddress!, wx1 = wx1.baseAddress!, column = column.baseAddress!
            let ul = weighted.baseAddress!, ll = ul + count, ur = ll + count, lr = ur + count
            for i in 0..<vectorCount {
                let a = wx1[i] * mag[i], b = wx0[i] * mag[i]
                ul[i] = vy1 * a
                ll[i] = vy0 * a
                ur[i] = vy1 * b
                lr[i] = vy0 * b
            }
            for i in vectorCount..<count {
                ul[i] = vy1 * wx1[i] * mag[i]
                ll[i] = vy0 * wx1[i] * mag[i]
                ur[i] = vy1 * wx0[i] * mag[i]
                lr[i] = vy0 * wx0[i] * mag[i]
            }
            Self.accumulate(count: count, column: column, bins: bins, ul: ul, ll: ll, ur: ur, lr: lr,
                            upper: upper, lower: lower)
        }}}}
    }

    /// The 18 bins of one cell: bins 0–15 and 16–17.
    private struct Cell {
        var low: SIMD16<Float>
        var high: SIMD2<Float>

        @inline(__always)
        init(_ p: UnsafePointer<Float>) {
            low = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
            high = UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD2<Float>.self)
        }

        @inline(__always)
        func store(_ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: low, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(p + 16).storeBytes(of: high, as: SIMD2<Float>.self)
        }

        /// Adds `value` to the lanes where `oneHot` is 1 (and +0, which changes nothing, to the others).
        ///
        /// With FMA one fused multiply-add per register instead of a multiply and an add: `1·v` and `0·v` are
        /// exact, so `fma(h, v, s)` rounds `s + v` (or `s + 0`) once, exactly as the add does, and the sums stay
        /// bit-identical. Half the instructions on the hot path of feature extraction (256-bit registers: 12
        /// instead of 24 per pixel). Without FMA (`baseline`) `addingProduct` would be a libm call per lane.
        @inline(__always)
        mutating func add(_ value: Float, low oneHotLow: SIMD16<Float>, high oneHotHigh: SIMD2<Float>) {
            if HistogramVotes.targetHasFMA {
                low = low.addingProduct(oneHotLow, value)
                high = high.addingProduct(oneHotHigh, value)
            } else {
                low = low + oneHotLow * value
                high = high + oneHotHigh * value
            }
        }
    }

    private static func accumulate(count: Int, column: UnsafePointer<Int32>, bins: UnsafePointer<Int32>,
                                   ul: UnsafePointer<Float>, ll: UnsafePointer<Float>, ur: UnsafePointer<Float>,
                                   lr: UnsafePointer<Float>, upper: UnsafeMutablePointer<Float>,
                                   lower: UnsafeMutablePointer<Float>) {
        // One-hot rows: bin b has a 1 in lane b of its 18 lanes (16 low, 2 high).
        var oneHot = [Float](repeating: 0, count: 18 * 18)
        for b in 0..<18 { oneHot[b * 18 + b] = 1 }
        oneHot.withUnsafeBufferPointer { table in
        let table = table.baseAddress!
        var j = Int(column[0])
        var upperLeft = Cell(upper + 18 * j), lowerLeft = Cell(lower + 18 * j)
        var upperRight = Cell(upper + 18 * (j + 1)), lowerRight = Cell(lower + 18 * (j + 1))
        for i in 0..<count {
            while Int(column[i]) != j {  // the next cell column (columns grow one at a time)
                upperLeft.store(upper + 18 * j)
                lowerLeft.store(lower + 18 * j)
                j += 1
                upperLeft = upperRight
                lowerLeft = lowerRight
                upperRight = Cell(upper + 18 * (j + 1))
                lowerRight = Cell(lower + 18 * (j + 1))
            }
            let hot = Cell(table + 18 * Int(bins[i]))
            upperLeft.add(ul[i], low: hot.low, high: hot.high)
            lowerLeft.add(ll[i], low: hot.low, high: hot.high)
            upperRight.add(ur[i], low: hot.low, high: hot.high)
            lowerRight.add(lr[i], low: hot.low, high: hot.high)
        }
        upperLeft.store(upper + 18 * j)
        lowerLeft.store(lower + 18 * j)
        upperRight.store(upper + 18 * (j + 1))
        lowerRight.store(lower + 18 * (j + 1))
        }
    }
}
