import SightlineCore

/// The 31 FHOG feature planes of one image, as dlib's `extract_fhog_features` lays them out for a
/// scanner: each plane is padded with zeros so that a `filterRows`×`filterCols` filter can be applied
/// at every cell (the cell grid starts at row `(filterRows−1)/2`, column `(filterCols−1)/2`).
///
/// Planes 0–17: contrast-sensitive orientations (20° bins over 360°); 18–26: contrast-insensitive
/// (over 180°); 27–30: gradient energy of the four 2×2-cell blocks around the cell.
struct FHOGFeatures {
    static let planeCount = 31
    /// Plane size including padding; 0×0 when the image is too small for any cell.
    let rows: Int
    let cols: Int
    /// `planeCount × rows × cols` values, plane after plane, row-major.
    var values: [Float]

    var planeSize: Int { rows * cols }
    var isEmpty: Bool { rows == 0 || cols == 0 }
}

/// dlib's FHOG (Felzenszwalb et al.) feature extraction, reproduced operation for operation.
enum FHOGExtractor {
    /// Gradient directions dlib snaps to (upper half circle, 20° apart), as floats.
    static let directionX: [Float] = [1.0000, 0.9397, 0.7660, 0.500, 0.1736, -0.1736, -0.5000, -0.7660, -0.9397]
    static let directionY: [Float] = [0.0000, 0.3420, 0.6428, 0.8660, 0.9848, 0.9848, 0.8660, 0.6428, 0.3420]

    /// Extracts features of a gray or RGB image with `cellSize`-pixel cells (dlib's default 8).
    static func extract(_ image: Image, cellSize: Int, filterRows: Int, filterCols: Int) -> FHOGFeatures {
        precondition(cellSize > 1 && filterRows > 0 && filterCols > 0, "bad FHOG geometry")
        let cellsNr = Int(Float(image.height) / Float(cellSize) + 0.5)
        let cellsNc = Int(Float(image.width) / Float(cellSize) + 0.5)
        let hogNr = max(cellsNr - 2, 0), hogNc = max(cellsNc - 2, 0)
        guard hogNr > 0, hogNc > 0 else { return FHOGFeatures(rows: 0, cols: 0, values: []) }

        let histCols = cellsNc + 2
        var hist = [Float](repeating: 0, count: (cellsNr + 2) * histCols * 18)
        image.pixels.withUnsafeBufferPointer { pixels in
            hist.withUnsafeMutableBufferPointer { hist in
                accumulateHistograms(pixels.baseAddress!, image: image, cellSize: cellSize, cellsNr: cellsNr,
                                     cellsNc: cellsNc, hist: hist.baseAddress!)
            }
        }
        let rows = hogNr + filterRows - 1, cols = hogNc + filterCols - 1
        var values = [Float](repeating: 0, count: planeCount * rows * cols)
        hist.withUnsafeBufferPointer { hist in
            values.withUnsafeMutableBufferPointer { out in
                normalize(hist: hist.baseAddress!, cellsNr: cellsNr, cellsNc: cellsNc, out: out.baseAddress!,
                          rows: rows, cols: cols, rowOffset: (filterRows - 1) / 2, colOffset: (filterCols - 1) / 2)
            }
        }
        return FHOGFeatures(rows: rows, cols: cols, values: values)
    }

    private static let planeCount = FHOGFeatures.planeCount

    /// Gradient magnitude and orientation per pixel, voted bilinearly into the 18-bin histograms of the four
    /// nearest cells. dlib processes eight pixels at a time and the rest of a row one by one, and the two
    /// paths differ in rounding order and in RGB tie-breaking; `vectorEnd` marks where the first stops.
    private static func accumulateHistograms(_ src: UnsafePointer<UInt8>, image: Image, cellSize: Int, cellsNr: Int,
                                             cellsNc: Int, hist: UnsafeMutablePointer<Float>) {
        let width = image.width
        let visibleNr = min(cellsNr * cellSize, image.height) - 1
        let visibleNc = min(cellsNc * cellSize, image.width) - 1
        guard visibleNc > 1, visibleNr > 1 else { return }
        var vectorEnd = 1
        while vectorEnd < visibleNc - 7 { vectorEnd += 8 }
        let count = visibleNc - 1  // pixels 1..<visibleNc

        // Per-column voting weights and cell columns.
        var column = [Int](repeating: 0, count: count)
        var wx0 = [Float](repeating: 0, count: count), wx1 = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let x = i + 1
            if x < vectorEnd {
                let xp = (Float(x) + 0.5) / Float(cellSize) + 0.5
                let ixp = Int(xp)
                column[i] = ixp
                wx0[i] = xp - Float(ixp)
            } else {
                let xp = Float((Double(x) + 0.5) / Double(cellSize) - 0.5)
                let ixp = Int(xp.rounded(.down))
                column[i] = ixp + 1
                wx0[i] = xp - Float(ixp)
            }
            wx1[i] = 1 - wx0[i]
        }
        let histCols = cellsNc + 2
        var gradX = [Float](repeating: 0, count: count + 16)
        var gradY = [Float](repeating: 0, count: count + 16)
        var bins = [Int32](repeating: 0, count: count + 16)
        var magnitude = [Float](repeating: 0, count: count + 16)
        let dx = directionX, dy = directionY
        gradX.withUnsafeMutableBufferPointer { gxp in
        gradY.withUnsafeMutableBufferPointer { gyp in
        bins.withUnsafeMutableBufferPointer { binp in
        magnitude.withUnsafeMutableBufferPointer { magp in
            let gx = gxp.baseAddress!, gy = gyp.baseAddress!, bin = binp.baseAddress!, mag = magp.baseAddress!
            for y in 1..<visibleNr {
                if image.channels == 1 {
                    grayGradients(src, width: width, y: y, count: count, gx: gx, gy: gy, len: mag)
                } else {
                    rgbGradients(src, width: width, y: y, count: count, vectorCount: vectorEnd - 1,
                                 gx: gx, gy: gy, len: mag)
                }
                orientations(gx: gx, gy: gy, len: mag, bins: bin, count: count, dx: dx, dy: dy)

                let yp = Float((Double(y) + 0.5) / Double(Float(cellSize)) - 0.5)
                let iyp = Int(yp.rounded(.down))
                let vy0 = yp - Float(iyp)
                let vy1 = 1 - vy0
                let upper = hist + (iyp + 1) * histCols * 18
                let lower = upper + histCols * 18
                column.withUnsafeBufferPointer { column in
                wx0.withUnsafeBufferPointer { wx0 in
                wx1.withUnsafeBufferPointer { wx1 in
                    let vectorCount = vectorEnd - 1
                    for i in 0..<vectorCount {
                        let v = mag[i], o = Int(bin[i])
                        let a = wx1[i] * v, b = wx0[i] * v
                        let cell = column[i] * 18 + o
                        upper[cell] += vy1 * a
                        lower[cell] += vy0 * a
                        upper[cell + 18] += vy1 * b
                        lower[cell + 18] += vy0 * b
                    }
                    for i in vectorCount..<count {
                        let v = mag[i], o = Int(bin[i])
                        let cell = column[i] * 18 + o
                        upper[cell] += vy1 * wx1[i] * v
                        lower[cell] += vy0 * wx1[i] * v
                        upper[cell + 18] += vy1 * wx0[i] * v
                        lower[cell + 18] += vy0 * wx0[i] * v
                    }
                }}}
            }
        }}}}
    }

    /// Central differences of a gray row; `len` gets the squared length.
    @inline(__always)
    private static func grayGradients(_ src: UnsafePointer<UInt8>, width: Int, y: Int, count: Int,
                                      gx: UnsafeMutablePointer<Float>, gy: UnsafeMutablePointer<Float>,
                                      len: UnsafeMutablePointer<Float>) {
        let row = src + y * width + 1, above = row - width, below = row + width
        for i in 0..<count {
            let h = Int32(row[i + 1]) - Int32(row[i - 1])
            let v = Int32(below[i]) - Int32(above[i])
            gx[i] = Float(h)
            gy[i] = Float(v)
            len[i] = Float(h * h + v * v)
        }
    }

    /// Central differences of an RGB row, keeping the channel with the longest gradient. The first
    /// `vectorCount` pixels break ties as dlib's vector code does (later channel wins), the rest as its scalar
    /// code (earlier channel wins).
    @inline(__always)
    private static func rgbGradients(_ src: UnsafePointer<UInt8>, width: Int, y: Int, count: Int, vectorCount: Int,
                                     gx: UnsafeMutablePointer<Float>, gy: UnsafeMutablePointer<Float>,
                                     len: UnsafeMutablePointer<Float>) {
        let stride = width * 3
        let row = src + y * stride + 3, above = row - stride, below = row + stride
        for i in 0..<count {
            let p = 3 * i
            let rh = Int32(row[p + 3]) - Int32(row[p - 3]), rv = Int32(below[p]) - Int32(above[p])
            let gh = Int32(row[p + 4]) - Int32(row[p - 2]), gv = Int32(below[p + 1]) - Int32(above[p + 1])
            let bh = Int32(row[p + 5]) - Int32(row[p - 1]), bv = Int32(below[p + 2]) - Int32(above[p + 2])
            let rl = rh * rh + rv * rv, gl = gh * gh + gv * gv, bl = bh * bh + bv * bv
            var h: Int32, v: Int32, l: Int32
            if i < vectorCount {
                if rl > gl { (h, v, l) = (rh, rv, rl) } else { (h, v, l) = (gh, gv, gl) }
                if !(l > bl) { (h, v, l) = (bh, bv, bl) }
            } else {
                (h, v, l) = (rh, rv, rl)
                if gl > l { (h, v, l) = (gh, gv, gl) }
                if bl > l { (h, v, l) = (bh, bv, bl) }
            }
            gx[i] = Float(h)
            gy[i] = Float(v)
            len[i] = Float(l)
        }
    }

    /// Snaps each gradient to one of 18 orientations (the largest dot product with ±direction, ties to the
    /// earlier) and replaces `len` by the gradient magnitude.
    @inline(__always)
    static func orientations(gx: UnsafeMutablePointer<Float>, gy: UnsafeMutablePointer<Float>,
                                     len: UnsafeMutablePointer<Float>, bins: UnsafeMutablePointer<Int32>, count: Int,
                                     dx: [Float], dy: [Float]) {
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
            let l = UnsafeRawPointer(len + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(len + i).storeBytes(of: l.squareRoot(), as: SIMD16<Float>.self)
            i += 16
        }
    }

    /// Block energies, then the 31 normalised features per cell (dlib's second loop).
    static func normalize(hist: UnsafePointer<Float>, cellsNr: Int, cellsNc: Int,
                                  out: UnsafeMutablePointer<Float>, rows: Int, cols: Int, rowOffset: Int, colOffset: Int) {
        let histCols = cellsNc + 2
        var norm = [Float](repeating: 0, count: cellsNr * cellsNc)
        for r in 0..<cellsNr {
            for c in 0..<cellsNc {
                let h = hist + ((r + 1) * histCols + c + 1) * 18
                var sum: Float = 0
                for o in 0..<9 {
                    let s = h[o] + h[o + 9]
                    sum += s * s
                }
                norm[r * cellsNc + c] = sum
            }
        }
        let planeSize = rows * cols
        let eps: Float = 0.0001
        let textureScale = Float(2 * 0.2357)
        norm.withUnsafeBufferPointer { norm in
            let n = norm.baseAddress!
            func at(_ r: Int, _ c: Int) -> Float { n[r * cellsNc + c] }
            for y in 0..<(cellsNr - 2) {
                for x in 0..<(cellsNc - 2) {
                    let z1 = SIMD4<Float>(at(y + 1, x + 1), at(y, x + 1), at(y + 1, x), at(y, x))
                    let z2 = SIMD4<Float>(at(y + 1, x + 2), at(y, x + 2), at(y + 1, x + 1), at(y, x + 1))
                    let z3 = SIMD4<Float>(at(y + 2, x + 1), at(y + 1, x + 1), at(y + 2, x), at(y + 1, x))
                    let z4 = SIMD4<Float>(at(y + 2, x + 2), at(y + 1, x + 2), at(y + 2, x + 1), at(y + 1, x + 1))
                    let nn = 0.2 * (z1 + z2 + z3 + z4 + eps).squareRoot()
                    let scale = 0.1 / nn
                    let h = hist + ((y + 2) * histCols + x + 2) * 18
                    let cell = out + (y + rowOffset) * cols + x + colOffset
                    var t = SIMD4<Float>(repeating: 0)
                    var o = 0
                    while o < 18 {
                        let h0 = pointwiseMin(SIMD4(repeating: h[o]), nn) * scale
                        let h1 = pointwiseMin(SIMD4(repeating: h[o + 1]), nn) * scale
                        let h2 = pointwiseMin(SIMD4(repeating: h[o + 2]), nn) * scale
                        cell[o * planeSize] = sum4(h0)
                        cell[(o + 1) * planeSize] = sum4(h1)
                        cell[(o + 2) * planeSize] = sum4(h2)
                        t += h0 + h1 + h2
                        o += 3
                    }
                    t *= textureScale
                    for o in 0..<9 {
                        let v = pointwiseMin(SIMD4(repeating: h[o] + h[o + 9]), nn) * scale
                        cell[(o + 18) * planeSize] = sum4(v)
                    }
                    cell[27 * planeSize] = t[0]
                    cell[28 * planeSize] = t[1]
                    cell[29 * planeSize] = t[2]
                    cell[30 * planeSize] = t[3]
                }
            }
        }
    }

    /// dlib's `sum(simd4f)` with SSE4.1/SSE3: pairwise.
    @inline(__always)
    private static func sum4(_ v: SIMD4<Float>) -> Float { (v[0] + v[1]) + (v[2] + v[3]) }
}
