/// Bilinear sampling of a face chip through an affine map, fast: the same double-precision operations as
/// `FaceChipExtractor.sampleReference` (bit-identical output), in three passes per chip row so that two of them
/// vectorise:
///
/// 1. positions, weights and source offsets of every chip pixel (vector arithmetic); a pixel outside the
///    source gets the offset of a zero row that follows the source, so it blends to 0 with no mask;
/// 2. per pixel, two 8-byte loads that hold its four source pixels (top-left and top-right, bottom-left and
///    bottom-right; the zero padding after the source keeps these loads in bounds);
/// 3. per pixel and channel, dlib's `(1−tb)·((1−lr)·tl + lr·tr) + tb·((1−lr)·bl + lr·br)`, truncated (vector
///    arithmetic again).
///
/// Rows are padded to a multiple of eight pixels (no scalar tail) and written through a scratch line. The three
/// passes cost about 8, 13 and 27 µs of a 150×150 RGB chip on an AVX-512 core; the third is bound by its double
/// arithmetic, which bit-identity with dlib requires.
enum FaceChipSampler {
    /// Zero bytes that must follow the source image: a whole row (where outside samples read) plus one word.
    static func padding(rowBytes: Int) -> Int { rowBytes + 8 }

    /// Samples `cols`×`rows` pixels at (x, y) = (ax·c + (bx·r + ox), ay·c + (by·r + oy)) from `source`
    /// (`width`×`height`, `channels` 1 or 3, row-major, followed by `padding(rowBytes:)` zero bytes) into `out`,
    /// writing every one of its `cols·rows·channels` bytes.
    static func sample(_ source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, cols: Int, rows: Int,
                       ax: Double, ay: Double, bx: Double, by: Double, ox: Double, oy: Double,
                       into out: UnsafeMutablePointer<UInt8>) {
        precondition(channels == 1 || channels == 3, "chips are gray or RGB")
        let count = (cols + 7) & ~7
        let rowBytes = width * channels
        // Inside: 0 ≤ x < width−1 and 0 ≤ y < height−1, tested unsigned (nothing is inside a 0- or 1-wide source).
        let area = Area(limitX: UInt64(max(width - 1, 0)), limitY: UInt64(max(height - 1, 0)), rowBytes: rowBytes,
                        channels: channels, zeroOffset: height * rowBytes)
        var offsetStore = [Int](repeating: 0, count: count)
        var lrStore = [Double](repeating: 0, count: count), tbStore = lrStore
        var topStore = [UInt64](repeating: 0, count: count), bottomStore = topStore
        var lineStore = [UInt8](repeating: 0, count: 3 * count)
        // Separate buffers: LLVM vectorises passes 1 and 3 after checking at run time that they do not overlap.
        offsetStore.withUnsafeMutableBufferPointer { offsets in
        lrStore.withUnsafeMutableBufferPointer { lrs in
        tbStore.withUnsafeMutableBufferPointer { tbs in
        topStore.withUnsafeMutableBufferPointer { tops in
        bottomStore.withUnsafeMutableBufferPointer { bottoms in
        lineStore.withUnsafeMutableBufferPointer { line in
            let offsets = offsets.baseAddress!, lrs = lrs.baseAddress!, tbs = tbs.baseAddress!
            let tops = tops.baseAddress!, bottoms = bottoms.baseAddress!, line = line.baseAddress!
            let raw = UnsafeRawPointer(source)
            for r in 0..<rows {
                let rowX = bx * Double(r) + ox, rowY = by * Double(r) + oy
                positions(count: count, ax: ax, ay: ay, rowX: rowX, rowY: rowY, area: area, offsets: offsets, lrs: lrs,
                          tbs: tbs)
                for c in 0..<count {
                    let o = offsets[c]
                    tops[c] = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)
                    bottoms[c] = raw.loadUnaligned(fromByteOffset: o &+ rowBytes, as: UInt64.self)
                }
                if channels == 3 {
                    blendRGB(count: count, tops: tops, bottoms: bottoms, lrs: lrs, tbs: tbs, out: line)
                } else {
                    blendGray(count: count, tops: tops, bottoms: bottoms, lrs: lrs, tbs: tbs, out: line)
                }
                (out + r &* cols &* channels).update(from: line, count: cols &* channels)
            }
        }}}}}}
    }

    /// The source's shape as pass 1 needs it.
    private struct Area {
        var limitX: UInt64
        var limitY: UInt64
        var rowBytes: Int
        var channels: Int
        var zeroOffset: Int
    }

    /// Pass 1: sample positions of one chip row (the reference's multiply then add, lane for lane).
    @inline(__always)
    private static func positions(count: Int, ax: Double, ay: Double, rowX: Double, rowY: Double, area: Area,
                                  offsets: UnsafeMutablePointer<Int>, lrs: UnsafeMutablePointer<Double>,
                                  tbs: UnsafeMutablePointer<Double>) {
        let rowBytes = Int64(area.rowBytes), channels = Int64(area.channels), zeroOffset = Int64(area.zeroOffset)
        for c in 0..<count {
            let x = ax * Double(c) + rowX, y = ay * Double(c) + rowY
            let xf = x.rounded(.down), yf = y.rounded(.down)
            lrs[c] = x - xf
            tbs[c] = y - yf
            let left = integer(xf), top = integer(yf)
            let inside = UInt64(bitPattern: left) < area.limitX && UInt64(bitPattern: top) < area.limitY
            offsets[c] = Int(truncatingIfNeeded: inside ? top &* rowBytes &+ left &* channels : zeroOffset)
        }
    }

    /// An integral double in [−2⁵¹, 2⁵¹] as an integer, without a trapping conversion: added to 1.5·2⁵², it lands
    /// in the low mantissa bits. Farther values give some other integer, never a trap; whatever it is, an offset
    /// is only formed from integers that passed the bounds test, so every load stays inside the source.
    @inline(__always)
    private static func integer(_ v: Double) -> Int64 {
        Int64(bitPattern: (v + 6_755_399_441_055_744).bitPattern &- 0x4338_0000_0000_0000)
    }

    @inline(__always)
    private static func channel(_ v: UInt64, _ byte: UInt64) -> Double { Double((v >> (8 &* byte)) & 0xFF) }

    /// `UInt8(value)` for 0 ≤ value < 2⁵², without a trapping conversion.
    @inline(__always)
    private static func truncated(_ value: Double) -> UInt8 {
        UInt8(truncatingIfNeeded: (value.rounded(.towardZero) + 4_503_599_627_370_496).bitPattern)
    }

    @inline(__always)
    private static func blend(_ t: UInt64, _ b: UInt64, left: UInt64, right: UInt64, lr: Double,
                              tb: Double) -> Double {
        (1 - tb) * ((1 - lr) * channel(t, left) + lr * channel(t, right))
            + tb * ((1 - lr) * channel(b, left) + lr * channel(b, right))
    }

    // The blends stay out of line: inlined into `sample`, LLVM no longer vectorises them (3× slower).

    @inline(never)
    private static func blendRGB(count: Int, tops: UnsafePointer<UInt64>, bottoms: UnsafePointer<UInt64>,
                                 lrs: UnsafePointer<Double>, tbs: UnsafePointer<Double>,
                                 out: UnsafeMutablePointer<UInt8>) {
        for c in 0..<count {
            let t = tops[c], b = bottoms[c], lr = lrs[c], tb = tbs[c]
            out[3 &* c] = truncated(blend(t, b, left: 0, right: 3, lr: lr, tb: tb))
            out[3 &* c &+ 1] = truncated(blend(t, b, left: 1, right: 4, lr: lr, tb: tb))
            out[3 &* c &+ 2] = truncated(blend(t, b, left: 2, right: 5, lr: lr, tb: tb))
        }
    }

    @inline(never)
    private static func blendGray(count: Int, tops: UnsafePointer<UInt64>, bottoms: UnsafePointer<UInt64>,
                                  lrs: UnsafePointer<Double>, tbs: UnsafePointer<Double>,
                                  out: UnsafeMutablePointer<UInt8>) {
        for c in 0..<count {
            out[c] = truncated(blend(tops[c], bottoms[c], left: 0, right: 1, lr: lrs[c], tb: tbs[c]))
        }
    }
}
