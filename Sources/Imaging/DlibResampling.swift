import SightlineCore

/// Image resampling that reproduces dlib's pixel arithmetic exactly (dlib/image_transforms), so that
/// detectors trained with dlib see the same pyramid levels here.
///
/// dlib's bilinear `resize_image` has two code paths per row: four output pixels at a time in float
/// with the sample position accumulated in float, then a scalar tail in double. Gray output rounds
/// (`+0.5`) in the vector part and truncates in the tail; RGB output truncates in both. All of that is
/// kept, because a one-grey-level difference on a pyramid level moves detection scores.
public enum DlibResampling {
    /// dlib `resize_image(in, out)` with bilinear interpolation to `width`×`height`.
    public static func resizeBilinear(_ source: Image, width: Int, height: Int) -> Image {
        var out = Image(width: width, height: height, channels: source.channels)
        guard width > 0, height > 0, source.width > 0, source.height > 0 else { return out }
        source.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                if source.channels == 1 {
                    resizeGray(src.baseAddress!, source.width, source.height, dst.baseAddress!, width, height)
                } else {
                    resizeRGB(src.baseAddress!, source.width, source.height, dst.baseAddress!, width, height)
                }
            }
        }
        return out
    }

    /// dlib `pyramid_down<N>` for N > 3: the image resized to ⌊(N−1)·size/N⌋ in each dimension.
    public static func pyramidDown(_ source: Image, ratio: Int) -> Image {
        precondition(ratio > 3, "pyramid_down<2> and <3> use dedicated filters")
        return resizeBilinear(source, width: (ratio - 1) * source.width / ratio,
                              height: (ratio - 1) * source.height / ratio)
    }

    /// dlib `pyramid_up(img)` (with `pyramid_down<2>`): the image resized to about twice its size.
    ///
    /// The size is dlib's: the bottom-right corner mapped up, `(p + (1.25, 0.75))·2`, rounded half away
    /// from zero, plus one — `2w+2` columns and `2h+1` rows.
    public static func pyramidUp(_ source: Image) -> Image {
        let size = pyramidUpSize(width: source.width, height: source.height)
        return resizeBilinear(source, width: size.width, height: size.height)
    }

    static func pyramidUpSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let right = (Double(width - 1) + 1.25) * 2
        let bottom = (Double(height - 1) + 0.75) * 2
        return (Int(right.rounded(.toNearestOrAwayFromZero)) + 1, Int(bottom.rounded(.toNearestOrAwayFromZero)) + 1)
    }

    /// dlib `pyramid_down<2>`: a separable [1 4 6 4 1]² Gaussian in integers, every second pixel kept,
    /// output ⌊(size−3)/2⌋. Images of 8 pixels or fewer on a side give an empty image.
    public static func halfDown(_ source: Image) -> Image {
        guard source.width > 8, source.height > 8 else { return Image(width: 0, height: 0, channels: source.channels) }
        let channels = source.channels
        let tempCols = (source.width - 3) / 2
        let outRows = (source.height - 3) / 2
        var temp = [UInt32](repeating: 0, count: source.height * tempCols * channels)
        var out = Image(width: tempCols, height: outRows, channels: channels)
        source.pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { tmp in
                for r in 0..<source.height {
                    let row = r * source.width * channels
                    for c in 0..<tempCols {
                        for k in 0..<channels {
                            let base = row + 2 * c * channels + k
                            let sum = UInt32(src[base]) + 4 * UInt32(src[base + channels])
                                + 6 * UInt32(src[base + 2 * channels]) + 4 * UInt32(src[base + 3 * channels])
                                + UInt32(src[base + 4 * channels])
                            tmp[(r * tempCols + c) * channels + k] = sum
                        }
                    }
                }
            }
        }
        temp.withUnsafeBufferPointer { tmp in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                let rowLength = tempCols * channels
                var dr = 0
                var r = 2
                while r < source.height - 2, dr < outRows {
                    for i in 0..<rowLength {
                        let sum = tmp[(r - 2) * rowLength + i] + 4 * tmp[(r - 1) * rowLength + i]
                            + 6 * tmp[r * rowLength + i] + 4 * tmp[(r + 1) * rowLength + i] + tmp[(r + 2) * rowLength + i]
                        dst[dr * rowLength + i] = UInt8(truncatingIfNeeded: sum / 256)
                    }
                    dr += 1
                    r += 2
                }
            }
        }
        return out
    }

    // MARK: - dlib's two bilinear code paths

    /// Where each output column samples: dlib's vector loop (float positions accumulated in float) for the first
    /// `vectorEnd` columns, its scalar tail (double positions) for the rest.
    struct ColumnTable {
        var left: [Int]
        var right: [Int]
        var lr: [Float]
        var lrDouble: [Double]
        var vectorEnd: Int

        init(inCols: Int, outCols: Int, xScale: Double) {
            left = [Int](repeating: 0, count: outCols)
            right = left
            lr = [Float](repeating: 0, count: outCols)
            lrDouble = [Double](repeating: 0, count: outCols)
            let step = Float(4 * xScale)
            let x0 = -4 * xScale
            var xs = SIMD4<Float>(Float(x0), Float(x0 + xScale), Float(x0 + 2 * xScale), Float(x0 + 3 * xScale))
            var c = 0
            while true {
                xs += SIMD4(repeating: step)
                if Int(Int32(xs[3])) + 1 >= inCols { break }  // truncation, as cvttps
                for lane in 0..<4 where c + lane < outCols {
                    let l = Int(Int32(xs[lane]))
                    left[c + lane] = l
                    right[c + lane] = l + 1
                    lr[c + lane] = xs[lane] - Float(l)
                }
                c += 4
            }
            vectorEnd = min(c, outCols)
            var x = -xScale + Double(c) * xScale
            while c < outCols {
                x += xScale
                let l = Int(x.rounded(.down))
                left[c] = l
                right[c] = min(l + 1, inCols - 1)
                lrDouble[c] = x - Double(l)
                lr[c] = Float(lrDouble[c])
                c += 1
            }
        }
    }

    private static func resizeGray(_ src: UnsafePointer<UInt8>, _ inCols: Int, _ inRows: Int,
                                   _ dst: UnsafeMutablePointer<UInt8>, _ outCols: Int, _ outRows: Int) {
        let xScale = Double(inCols - 1) / Double(max(outCols - 1, 1))
        let yScale = Double(inRows - 1) / Double(max(outRows - 1, 1))
        let table = ColumnTable(inCols: inCols, outCols: outCols, xScale: xScale)
        var y = -yScale
        table.left.withUnsafeBufferPointer { left in
        table.right.withUnsafeBufferPointer { right in
        table.lr.withUnsafeBufferPointer { lrs in
            for r in 0..<outRows {
                y += yScale
                let top = Int(y.rounded(.down))
                let bottom = min(top + 1, inRows - 1)
                let tbFrac = y - Double(top)
                let topRow = src + top * inCols
                let bottomRow = src + bottom * inCols
                let outRow = dst + r * outCols
                let tb = Float(tbFrac), invTb = Float(1 - tbFrac)
                for c in 0..<table.vectorEnd {
                    let l = left[c], lr = lrs[c]
                    let invLr = 1 - lr
                    let value = (invTb * invLr) * Float(topRow[l]) + (invTb * lr) * Float(topRow[l + 1])
                        + (tb * invLr) * Float(bottomRow[l]) + (tb * lr) * Float(bottomRow[l + 1])
                    outRow[c] = UInt8(truncatingIfNeeded: Int32(value + 0.5))
                }
                for c in table.vectorEnd..<outCols {
                    let l = left[c], rr = right[c], lr = lrs[c]
                    let upper = (1 - lr) * Float(topRow[l]) + lr * Float(topRow[rr])
                    let lower = (1 - lr) * Float(bottomRow[l]) + lr * Float(bottomRow[rr])
                    outRow[c] = clampTruncate(Float((1 - tbFrac) * Double(upper) + tbFrac * Double(lower)))
                }
            }
        }}}
    }

    @inline(__always)
    private static func rgbPixel(_ p: UnsafePointer<UInt8>) -> SIMD4<Float> {
        SIMD4(Float(p[0]), Float(p[1]), Float(p[2]), 0)
    }

    private static func resizeRGB(_ src: UnsafePointer<UInt8>, _ inCols: Int, _ inRows: Int,
                                  _ dst: UnsafeMutablePointer<UInt8>, _ outCols: Int, _ outRows: Int) {
        let xScale = Double(inCols - 1) / Double(max(outCols - 1, 1))
        let yScale = Double(inRows - 1) / Double(max(outRows - 1, 1))
        let table = ColumnTable(inCols: inCols, outCols: outCols, xScale: xScale)
        var y = -yScale
        table.left.withUnsafeBufferPointer { left in
        table.right.withUnsafeBufferPointer { right in
        table.lr.withUnsafeBufferPointer { lrs in
        table.lrDouble.withUnsafeBufferPointer { lrDoubles in
            for r in 0..<outRows {
                y += yScale
                let top = Int(y.rounded(.down))
                let bottom = min(top + 1, inRows - 1)
                let tbFrac = y - Double(top)
                let topRow = src + top * inCols * 3
                let bottomRow = src + bottom * inCols * 3
                let outRow = dst + r * outCols * 3
                let tb = Float(tbFrac), invTb = Float(1 - tbFrac)
                for c in 0..<table.vectorEnd {
                    let l = 3 * left[c], lr = lrs[c]
                    let invLr = 1 - lr
                    let value = (invTb * invLr) * rgbPixel(topRow + l) + (invTb * lr) * rgbPixel(topRow + l + 3)
                        + (tb * invLr) * rgbPixel(bottomRow + l) + (tb * lr) * rgbPixel(bottomRow + l + 3)
                    let o = outRow + 3 * c
                    o[0] = UInt8(truncatingIfNeeded: Int32(value[0]))
                    o[1] = UInt8(truncatingIfNeeded: Int32(value[1]))
                    o[2] = UInt8(truncatingIfNeeded: Int32(value[2]))
                }
                for c in table.vectorEnd..<outCols {
                    let l = 3 * left[c], rr = 3 * right[c], lr = lrDoubles[c]
                    for k in 0..<3 {
                        let value = (1 - tbFrac) * ((1 - lr) * Double(topRow[l + k]) + lr * Double(topRow[rr + k]))
                            + tbFrac * ((1 - lr) * Double(bottomRow[l + k]) + lr * Double(bottomRow[rr + k]))
                        outRow[3 * c + k] = UInt8(truncatingIfNeeded: Int(value))
                    }
                }
            }
        }}}}
    }

    /// dlib's `assign_pixel(unsigned char&, float)`: clamp to [0, 255], then truncate.
    @inline(__always)
    private static func clampTruncate(_ value: Float) -> UInt8 {
        value >= 255 ? 255 : (value <= 0 ? 0 : UInt8(value))
    }
}
