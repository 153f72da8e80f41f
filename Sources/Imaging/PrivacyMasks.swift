import SightlineCore

/// A camera's static privacy masks (`privacy_masks:` — windows, gardens, a neighbour's door): polygons in source
/// pixels, blacked out of every frame right after it is decoded, before any stage sees it. Nothing inside a mask
/// is analysed, and no frame, evidence image or clip kept can show it.
///
/// Rasterised once per picture size into row spans, conservatively: a pixel is covered when the polygon meets
/// it at its top, centre or bottom line, and every covered pixel grows by one pixel on each side, so that a
/// scaled-down frame never leaks a sliver along a mask's edge.
public struct PrivacyMasks: Sendable, Equatable {
    /// One run of covered pixels: row `row`, columns `start..<end`.
    public struct Span: Sendable, Equatable {
        public var row: Int
        public var start: Int
        public var end: Int
    }

    /// Polygons of at least three points each, in source pixels.
    public let polygons: [[SIMD2<Double>]]

    public init(_ polygons: [[SIMD2<Double>]]) {
        self.polygons = polygons.filter { $0.count >= 3 }
    }

    public var isEmpty: Bool { polygons.isEmpty }

    /// The spans that cover the masks in a `width` × `height` picture whose pixels are `scale` source pixels wide
    /// (processing size = source size / scale).
    public func spans(width: Int, height: Int, scale: Double) -> [Span] {
        guard width > 0, height > 0, scale.isFinite, scale > 0, !polygons.isEmpty else { return [] }
        var covered = [Bool](repeating: false, count: width * height)
        let scaled = polygons.map { $0.map { $0 / scale } }
        for y in 0..<height {
            for sample in [Double(y), Double(y) + 0.5, Double(y) + 1] {
                for polygon in scaled {
                    let crossings = Self.crossings(of: polygon, atY: sample)
                    var i = 0
                    while i + 1 < crossings.count {
                        // Every pixel the interval touches, one more on each side.
                        let first = max(0, Int(crossings[i].rounded(.down)) - 1)
                        let last = min(width - 1, Int(crossings[i + 1].rounded(.up)))
                        if first <= last {
                            for row in max(0, y - 1)...min(height - 1, y + 1) {
                                for x in first...last { covered[row * width + x] = true }
                            }
                        }
                        i += 2
                    }
                }
            }
        }
        var spans: [Span] = []
        for row in 0..<height {
            var x = 0
            while x < width {
                guard covered[row * width + x] else {
                    x += 1
                    continue
                }
                let start = x
                while x < width && covered[row * width + x] { x += 1 }
                spans.append(Span(row: row, start: start, end: x))
            }
        }
        return spans
    }

    /// Where the horizontal line at `y` crosses the polygon's edges, sorted (even-odd pairs are inside);
    /// clamped to ±1e6 so that a far vertex cannot overflow the pixel arithmetic.
    static func crossings(of polygon: [SIMD2<Double>], atY y: Double) -> [Double] {
        var xs: [Double] = []
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let a = polygon[i], b = polygon[j]
            if (a.y > y) != (b.y > y) {
                let x = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)
                xs.append(min(max(x, -1e6), 1e6))
            }
            j = i
        }
        return xs.sorted()
    }

    /// Sets the covered pixels of `image` (any number of channels) to black.
    public static func blackOut(_ image: inout Image, spans: [Span]) {
        let width = image.width, height = image.height, channels = image.channels
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for span in spans where span.row < height {
                let end = min(span.end, width)
                guard span.start < end else { continue }
                let from = (span.row * width + span.start) * channels
                let to = (span.row * width + end) * channels
                for i in from..<to { pixels[i] = 0 }
            }
        }
    }
}

/// Applies a camera's masks to its frames, keeping the spans of the last picture size.
public struct PrivacyMasker: Sendable {
    public let masks: PrivacyMasks
    private var key: (width: Int, height: Int, sourceWidth: Int)?
    private var spans: [PrivacyMasks.Span] = []

    public init(_ masks: PrivacyMasks) {
        self.masks = masks
    }

    /// `frame` with every mask blacked out of its luma and colour planes.
    public mutating func apply(_ frame: Frame) -> Frame {
        guard !masks.isEmpty else { return frame }
        let size = (frame.gray.width, frame.gray.height, frame.sourceWidth)
        if key.map({ $0 != size }) ?? true {
            spans = masks.spans(width: size.0, height: size.1, scale: frame.scaleToSource)
            key = size
        }
        var frame = frame
        PrivacyMasks.blackOut(&frame.gray, spans: spans)
        if frame.rgb != nil { PrivacyMasks.blackOut(&frame.rgb!, spans: spans) }
        return frame
    }
}
