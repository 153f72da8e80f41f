import Imaging

/// FHOG extraction from planar images: the same operations as `FHOGExtractor.extract(_: Image, …)` (the scalar
/// reference, bit for bit), with the per-pixel gradient work in loops over whole rows of each plane that the
/// compiler vectorises.
extension FHOGExtractor {
    /// Extracts features of a gray or RGB planar image with `cellSize`-pixel cells.
    static func extract(_ image: PlanarImage, cellSize: Int, filterRows: Int, filterCols: Int) -> FHOGFeatures {
        precondition(cellSize > 1 && filterRows > 0 && filterCols > 0, "bad FHOG geometry")
        let cellsNr = Int(Float(image.height) / Float(cellSize) + 0.5)
        let cellsNc = Int(Float(image.width) / Float(cellSize) + 0.5)
        let hogNr = max(cellsNr - 2, 0), hogNc = max(cellsNc - 2, 0)
        guard hogNr > 0, hogNc > 0 else { return FHOGFeatures(rows: 0, cols: 0, values: []) }

        let histCols = cellsNc + 2
        var hist = [Float](repeating: 0, count: (cellsNr + 2) * histCols * 18)
        image.bytes.withUnsafeBufferPointer { bytes in
            hist.withUnsafeMutableBufferPointer { hist in
                accumulateHistograms(bytes.baseAddress!, image: image, cellSize: cellSize, cellsNr: cellsNr,
                                     cellsNc: cellsNc, hist: hist.baseAddress!)
            }
        }
        let rows = hogNr + filterRows - 1, cols = hogNc + filterCols - 1
        var values = [Float](repeating: 0, count: FHOGFeatures.planeCount * rows * cols)
        hist.withUnsafeBufferPointer { hist in
            values.withUnsafeMutableBufferPointer { out in
                normalize(hist: hist.baseAddress!, cellsNr: cellsNr, cellsNc: cellsNc, out: out.baseAddress!,
                          rows: rows, cols: cols, rowOffset: (filterRows - 1) / 2, colOffset: (filterCols - 1) / 2)
            }
        }
        return FHOGFeatures(rows: rows, cols: cols, values: values)
    }

    private static func accumulateHistograms(_ planes: UnsafePointer<UInt8>, image: PlanarImage, cellSize: Int,
                                             cellsNr: Int, cellsNc: Int, hist: UnsafeMutablePointer<Float>) {
        let width = image.width
        let visibleNr = min(cellsNr * cellSize, image.height) - 1
        let visibleNc = min(cellsNc * cellSize, image.width) - 1
        guard visibleNc > 1, visibleNr > 1 else { return }
        var vectorEnd = 1
        while vectorEnd < visibleNc - 7 { vectorEnd += 8 }
        let count = visibleNc - 1  // pixels 1..<visibleNc
        let vectorCount = vectorEnd - 1
        var votes = HistogramVotes(count: count, vectorCount: vectorCount, cellSize: cellSize)
        let histCols = cellsNc + 2
        let padded = count + 16
        var work = [Float](repeating: 0, count: 3 * padded)
        var bins = [Int32](repeating: 0, count: padded)
        let dx = directionX, dy = directionY
        work.withUnsafeMutableBufferPointer { work in
        bins.withUnsafeMutableBufferPointer { binp in
            let gx = work.baseAddress!, gy = gx + padded, mag = gy + padded, bin = binp.baseAddress!
            for y in 1..<visibleNr {
                let offset = y * width + 1
                if image.channels == 1 {
                    PlanarGradients.gray(planes + offset, width: width, count: count, gx: gx, gy: gy, len: mag)
                } else {
                    let size = image.planeSize
                    PlanarGradients.rgb(planes + offset, planeSize: size, width: width, count: count,
                                        vectorCount: vectorCount, gx: gx, gy: gy, len: mag)
                }
                PlanarGradients.orientations(gx: gx, gy: gy, len: mag, bins: bin, count: count, dx: dx, dy: dy)
                let yp = Float((Double(y) + 0.5) / Double(Float(cellSize)) - 0.5)
                let iyp = Int(yp.rounded(.down))
                let upper = hist + (iyp + 1) * histCols * 18
                votes.cast(magnitudes: mag, bins: bin, vy0: yp - Float(iyp), upper: upper,
                           lower: upper + histCols * 18)
            }
        }}
    }
}

/// Central-difference gradients of one row of a planar image, as whole-row loops.
enum PlanarGradients {
    /// `FHOGExtractor.orientations` with the square root in its own loop (a `SIMD16` square root is compiled
    /// lane by lane; a plain loop becomes one vector instruction).
    static func orientations(gx: UnsafeMutablePointer<Float>, gy: UnsafeMutablePointer<Float>,
                             len: UnsafeMutablePointer<Float>, bins: UnsafeMutablePointer<Int32>, count: Int,
                             dx: [Float], dy: [Float]) {
        dx.withUnsafeBufferPointer { dxp in
        dy.withUnsafeBufferPointer { dyp in
            let dx = dxp.baseAddress!, dy = dyp.baseAddress!
            var i = 0
            while i < count {
                let x = UnsafeRawPointer(gx + i).loadUnaligned(as: SIMD16<Float>.self)
                let y = UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD16<Float>.self)
                var best = SIMD16<Float>(repeating: 0)
                var bestO = SIMD16<Int32>(repeating: 0)
                for o in 0..<9 {
                    let dot = x * dx[o] + y * dy[o]
                    var take = dot .> best
                    best.replace(with: dot, where: take)
                    bestO.replace(with: Int32(o), where: take)
                    let negative = -dot
                    take = negative .> best
                    best.replace(with: negative, where: take)
                    bestO.replace(with: Int32(o + 9), where: take)
                }
                UnsafeMutableRawPointer(bins + i).storeBytes(of: bestO, as: SIMD16<Int32>.self)
                i += 16
            }
        }}
        for i in 0..<count { len[i] = len[i].squareRoot() }
    }

    /// `row` points at pixel (1, y) of the plane; `len` gets h² + v².
    static func gray(_ row: UnsafePointer<UInt8>, width: Int, count: Int, gx: UnsafeMutablePointer<Float>,
                     gy: UnsafeMutablePointer<Float>, len: UnsafeMutablePointer<Float>) {
        let above = row - width, below = row + width
        for i in 0..<count {
            let h = Int32(row[i &+ 1]) &- Int32(row[i &- 1])
            let v = Int32(below[i]) &- Int32(above[i])
            gx[i] = Float(h)
            gy[i] = Float(v)
            len[i] = Float(h &* h &+ v &* v)
        }
    }

    /// `red` points at pixel (1, y) of the red plane (green and blue follow at `planeSize` apart). The channel
    /// with the longest gradient wins; ties go as in dlib's vector code for the first `vectorCount` pixels
    /// (later channel), as in its scalar code for the rest (earlier channel).
    static func rgb(_ red: UnsafePointer<UInt8>, planeSize: Int, width: Int, count: Int, vectorCount: Int,
                    gx: UnsafeMutablePointer<Float>, gy: UnsafeMutablePointer<Float>,
                    len: UnsafeMutablePointer<Float>) {
        let green = red + planeSize, blue = green + planeSize
        @inline(__always)
        func gradient(_ p: UnsafePointer<UInt8>, _ i: Int) -> (Int32, Int32, Int32) {
            let h = Int32(p[i &+ 1]) &- Int32(p[i &- 1])
            let v = Int32(p[i &+ width]) &- Int32(p[i &- width])
            return (h, v, h &* h &+ v &* v)
        }
        for i in 0..<vectorCount {
            let (rh, rv, rl) = gradient(red, i), (gh, gv, gl) = gradient(green, i), (bh, bv, bl) = gradient(blue, i)
            let redWins = rl > gl
            var h = redWins ? rh : gh, v = redWins ? rv : gv, l = redWins ? rl : gl
            let blueWins = !(l > bl)
            h = blueWins ? bh : h
            v = blueWins ? bv : v
            l = blueWins ? bl : l
            gx[i] = Float(h)
            gy[i] = Float(v)
            len[i] = Float(l)
        }
        for i in vectorCount..<count {
            let (rh, rv, rl) = gradient(red, i), (gh, gv, gl) = gradient(green, i), (bh, bv, bl) = gradient(blue, i)
            let greenWins = gl > rl
            var h = greenWins ? gh : rh, v = greenWins ? gv : rv, l = greenWins ? gl : rl
            let blueWins = bl > l
            h = blueWins ? bh : h
            v = blueWins ? bv : v
            l = blueWins ? bl : l
            gx[i] = Float(h)
            gy[i] = Float(v)
            len[i] = Float(l)
        }
    }
}
