/// Bilinear sampling of a face chip through an affine map, fast: the same double-precision operations as
/// `FaceChipExtractor.sampleReference` (bit-identical output), in three passes per chip row so that two of them
/// vectorise:
///
/// 1. positions, weights, validity and source offsets of every chip pixel (vector arithmetic);
/// 2. per pixel, two 8-byte loads that hold its four source pixels (top-left and top-right, bottom-left and
///    bottom-right; the source carries 8 spare bytes so these loads stay in bounds);
/// 3. per pixel and channel, dlib's `(1−tb)·((1−lr)·tl + lr·tr) + tb·((1−lr)·bl + lr·br)`, truncated (vector
///    arithmetic again).
enum FaceChipSampler {
    /// Samples `cols`×`rows` pixels at (x, y) = (ax·c + (bx·r + ox), ay·c + (by·r + oy)) from `source`
    /// (`width`×`height`, `channels` 1 or 3, row-major, followed by at least 8 readable bytes).
    static func sample(_ source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, cols: Int, rows: Int,
                       ax: Double, ay: Double, bx: Double, by: Double, ox: Double, oy: Double,
                       into out: UnsafeMutablePointer<UInt8>) {
        precondition(channels == 1 || channels == 3, "chips are gray or RGB")
        let count = cols
        var offsets = [Int](repeating: 0, count: count)
        var lrs = [Double](repeating: 0, count: count), tbs = lrs
        var valid = [UInt8](repeating: 0, count: count)
        var tops = [UInt64](repeating: 0, count: count), bottoms = tops
        let maxX = Double(width - 1), maxY = Double(height - 1)
        let rowBytes = width * channels
        offsets.withUnsafeMutableBufferPointer { offsets in
        lrs.withUnsafeMutableBufferPointer { lrs in
        tbs.withUnsafeMutableBufferPointer { tbs in
        valid.withUnsafeMutableBufferPointer { valid in
        tops.withUnsafeMutableBufferPointer { tops in
        bottoms.withUnsafeMutableBufferPointer { bottoms in
            let offsets = offsets.baseAddress!, lrs = lrs.baseAddress!, tbs = tbs.baseAddress!
            let valid = valid.baseAddress!, tops = tops.baseAddress!, bottoms = bottoms.baseAddress!
            for r in 0..<rows {
                let rowX = bx * Double(r) + ox, rowY = by * Double(r) + oy
                positions(count: count, ax: ax, ay: ay, rowX: rowX, rowY: rowY, maxX: maxX, maxY: maxY,
                          rowBytes: rowBytes, channels: channels, offsets: offsets, lrs: lrs, tbs: tbs, valid: valid)
                let raw = UnsafeRawPointer(source)
                for c in 0..<count {
                    let o = offsets[c]
                    tops[c] = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)
                    bottoms[c] = raw.loadUnaligned(fromByteOffset: o &+ rowBytes, as: UInt64.self)
                }
                let line = out + r * cols * channels
                if channels == 3 {
                    blendRGB(count: count, tops: tops, bottoms: bottoms, lrs: lrs, tbs: tbs, valid: valid, out: line)
                } else {
                    blendGray(count: count, tops: tops, bottoms: bottoms, lrs: lrs, tbs: tbs, valid: valid, out: line)
                }
            }
        }}}}}}
    }

    /// Pass 1: sample positions of one chip row. Outside pixels get offset 0 (a harmless load) and valid 0.
    @inline(__always)
    private static func positions(count: Int, ax: Double, ay: Double, rowX: Double, rowY: Double, maxX: Double,
                                  maxY: Double, rowBytes: Int, channels: Int, offsets: UnsafeMutablePointer<Int>,
                                  lrs: UnsafeMutablePointer<Double>, tbs: UnsafeMutablePointer<Double>,
                                  valid: UnsafeMutablePointer<UInt8>) {
        for c in 0..<count {
            let x = ax * Double(c) + rowX, y = ay * Double(c) + rowY
            let xf = x.rounded(.down), yf = y.rounded(.down)
            let inside = xf >= 0 && yf >= 0 && xf < maxX && yf < maxY
            lrs[c] = x - xf
            tbs[c] = y - yf
            valid[c] = inside ? 1 : 0
            // Integer parts without a trapping conversion: clamped into the image, plus 2⁵², read from the bits.
            let left = Int(truncatingIfNeeded: (min(max(xf, 0), maxX) + 4_503_599_627_370_496).bitPattern & 0xFFFFFF)
            let top = Int(truncatingIfNeeded: (min(max(yf, 0), maxY) + 4_503_599_627_370_496).bitPattern & 0xFFFFFF)
            offsets[c] = inside ? top &* rowBytes &+ left &* channels : 0
        }
    }

    @inline(__always)
    private static func channel(_ v: UInt64, _ byte: UInt64) -> Double { Double((v >> (8 &* byte)) & 0xFF) }

    /// `UInt8(value)` for 0 ≤ value < 2⁵², without a trapping conversion.
    @inline(__always)
    private static func truncated(_ value: Double) -> UInt8 {
        UInt8(truncatingIfNeeded: (value.rounded(.towardZero) + 4_503_599_627_370_496).bitPattern)
    }

    @inline(__always)
    private static func blend(_ t: UInt64, _ b: UInt64, left: UInt64, right: UInt64, lr: Double, tb: Double) -> Double {
        (1 - tb) * ((1 - lr) * channel(t, left) + lr * channel(t, right))
            + tb * ((1 - lr) * channel(b, left) + lr * channel(b, right))
    }

    private static func blendRGB(count: Int, tops: UnsafePointer<UInt64>, bottoms: UnsafePointer<UInt64>,
                                 lrs: UnsafePointer<Double>, tbs: UnsafePointer<Double>, valid: UnsafePointer<UInt8>,
                                 out: UnsafeMutablePointer<UInt8>) {
        for c in 0..<count {
            let t = tops[c], b = bottoms[c], lr = lrs[c], tb = tbs[c]
            let keep: UInt8 = valid[c] == 0 ? 0 : 0xFF
            out[3 &* c] = truncated(blend(t, b, left: 0, right: 3, lr: lr, tb: tb)) & keep
            out[3 &* c &+ 1] = truncated(blend(t, b, left: 1, right: 4, lr: lr, tb: tb)) & keep
            out[3 &* c &+ 2] = truncated(blend(t, b, left: 2, right: 5, lr: lr, tb: tb)) & keep
        }
    }

    private static func blendGray(count: Int, tops: UnsafePointer<UInt64>, bottoms: UnsafePointer<UInt64>,
                                  lrs: UnsafePointer<Double>, tbs: UnsafePointer<Double>, valid: UnsafePointer<UInt8>,
                                  out: UnsafeMutablePointer<UInt8>) {
        for c in 0..<count {
            let keep: UInt8 = valid[c] == 0 ? 0 : 0xFF
            out[c] = truncated(blend(tops[c], bottoms[c], left: 0, right: 1, lr: lrs[c], tb: tbs[c])) & keep
        }
    }
}
