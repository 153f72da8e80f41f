/// One channel of an 8-bit image: pixel (x, y) is `base[y·rowStride + x·pixelStride]`.
struct PlaneSource {
    let base: UnsafePointer<UInt8>
    let pixelStride: Int
    let rowStride: Int
}

/// dlib's bilinear `resize_image` for one channel, fast: the same float and double operations as
/// `DlibResampling.resizeBilinear` (its scalar reference), rearranged so that the float part runs on whole rows.
///
/// Each source row that dlib's vector loop reads is gathered once into two float rows (the left and right
/// neighbours of every output column) and kept while consecutive output rows use it; each output row is then
/// `((wTL·TL + wTR·TR) + wBL·BL) + wBR·BR` per column with dlib's per-pixel weight products, a loop the compiler
/// vectorises. Columns past dlib's vector loop take its scalar formulas.
enum PlanarResizer {
    static func resize(_ src: PlaneSource, inCols: Int, inRows: Int, dst: UnsafeMutablePointer<UInt8>,
                       outCols: Int, outRows: Int, gray: Bool) {
        let xScale = Double(inCols - 1) / Double(max(outCols - 1, 1))
        let yScale = Double(inRows - 1) / Double(max(outRows - 1, 1))
        let table = DlibResampling.ColumnTable(inCols: inCols, outCols: outCols, xScale: xScale)
        let vectorEnd = table.vectorEnd
        let padded = vectorEnd + 16
        // Per column: index of the left neighbour, lr and 1 − lr (float, as dlib's vector loop).
        var lefts = [Int32](repeating: 0, count: padded)
        var weights = [Float](repeating: 0, count: 2 * padded)
        for c in 0..<vectorEnd {
            lefts[c] = Int32(table.left[c])
            weights[c] = table.lr[c]
            weights[padded + c] = 1 - table.lr[c]
        }
        // Two cached source rows: per output column its left and right neighbour as one 16-bit pair (left in the
        // low byte). Interleaved sources are first copied into one contiguous byte row.
        var pairs = [UInt16](repeating: 0, count: 2 * padded)
        var line = [UInt8](repeating: 0, count: src.pixelStride == 1 ? 0 : inCols + 2)
        lefts.withUnsafeBufferPointer { lefts in
        weights.withUnsafeBufferPointer { weights in
        pairs.withUnsafeMutableBufferPointer { pairs in
        line.withUnsafeMutableBufferPointer { line in
            let lefts = lefts.baseAddress!, lrs = weights.baseAddress!, invLrs = lrs + padded
            let slots = (pairs.baseAddress!, pairs.baseAddress! + padded)
            var slotRow = (-1, -1)
            func gather(_ row: Int, into slot: Int) {
                var bytes = src.base + row * src.rowStride
                if src.pixelStride != 1 {
                    let step = src.pixelStride, copy = line.baseAddress!
                    for x in 0..<inCols { copy[x] = bytes[x &* step] }
                    bytes = UnsafePointer(copy)
                }
                gatherPairs(bytes, lefts: lefts, count: vectorEnd, into: slot == 0 ? slots.0 : slots.1)
                if slot == 0 { slotRow.0 = row } else { slotRow.1 = row }
            }
            var y = -yScale
            for r in 0..<outRows {
                y += yScale
                let top = Int(y.rounded(.down))
                let bottom = min(top + 1, inRows - 1)
                let tbFrac = y - Double(top)
                let outRow = dst + r * outCols
                if vectorEnd > 0 {
                    let topSlot: Int
                    if slotRow.0 == top { topSlot = 0 } else if slotRow.1 == top { topSlot = 1 } else {
                        topSlot = slotRow.0 == bottom ? 1 : 0
                        gather(top, into: topSlot)
                    }
                    let bottomSlot: Int
                    if (topSlot == 0 ? slotRow.0 : slotRow.1) == bottom { bottomSlot = topSlot } else {
                        bottomSlot = 1 - topSlot
                        if (bottomSlot == 0 ? slotRow.0 : slotRow.1) != bottom { gather(bottom, into: bottomSlot) }
                    }
                    verticalRow(top: topSlot == 0 ? slots.0 : slots.1, bottom: bottomSlot == 0 ? slots.0 : slots.1,
                                lrs: lrs, invLrs: invLrs, tbFrac: tbFrac, count: vectorEnd, gray: gray, out: outRow)
                }
                let topRow = src.base + top * src.rowStride, bottomRow = src.base + bottom * src.rowStride
                let step = src.pixelStride
                for c in vectorEnd..<outCols {
                    let l = table.left[c] * step, rr = table.right[c] * step
                    if gray {
                        let lr = table.lr[c]
                        let upper = (1 - lr) * Float(topRow[l]) + lr * Float(topRow[rr])
                        let lower = (1 - lr) * Float(bottomRow[l]) + lr * Float(bottomRow[rr])
                        let value = Float((1 - tbFrac) * Double(upper) + tbFrac * Double(lower))
                        outRow[c] = value >= 255 ? 255 : (value <= 0 ? 0 : UInt8(value))
                    } else {
                        let lr = table.lrDouble[c]
                        let value = (1 - tbFrac) * ((1 - lr) * Double(topRow[l]) + lr * Double(topRow[rr]))
                            + tbFrac * ((1 - lr) * Double(bottomRow[l]) + lr * Double(bottomRow[rr]))
                        outRow[c] = UInt8(truncatingIfNeeded: Int(value))
                    }
                }
            }
        }}}}
    }

    /// pairs[c] = the bytes line[lefts[c]] (low) and line[lefts[c] + 1] (high).
    @inline(__always)
    static func gatherPairs(_ line: UnsafePointer<UInt8>, lefts: UnsafePointer<Int32>, count: Int,
                            into pairs: UnsafeMutablePointer<UInt16>) {
        let raw = UnsafeRawPointer(line)
        for c in 0..<count {
            pairs[c] = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: Int(lefts[c]), as: UInt16.self))
        }
    }

    /// One output row of dlib's vector loop: `((wTL·TL + wTR·TR) + wBL·BL) + wBR·BR` with wTL = (1−tb)·(1−lr) etc.
    /// in float, then + 0.5 for gray, truncated.
    @inline(__always)
    static func verticalRow(top: UnsafePointer<UInt16>, bottom: UnsafePointer<UInt16>, lrs: UnsafePointer<Float>,
                            invLrs: UnsafePointer<Float>, tbFrac: Double, count: Int, gray: Bool,
                            out: UnsafeMutablePointer<UInt8>) {
        let tb = Float(tbFrac), invTb = Float(1 - tbFrac)
        let bias: Float = gray ? 0.5 : 0
        for c in 0..<count {
            let lr = lrs[c], invLr = invLrs[c]
            let t = top[c], b = bottom[c]
            let value = (invTb * invLr) * Float(t & 0xFF) + (invTb * lr) * Float(t >> 8)
                + (tb * invLr) * Float(b & 0xFF) + (tb * lr) * Float(b >> 8)
            out[c] = lowByte(value + bias)
        }
    }

    /// `UInt8(truncatingIfNeeded: Int32(value))` for 0 ≤ value < 2²³, without a trapping conversion: the
    /// truncated value plus 2²³ holds the integer in its low mantissa bits.
    @inline(__always)
    static func lowByte(_ value: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: (value.rounded(.towardZero) + 8_388_608).bitPattern)
    }
}
