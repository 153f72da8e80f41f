import SightlineCore

/// A camera's static privacy masks (`privacy_masks:` — windows, gardens, a neighbour's door): polygons in source
/// pixels, blacked out of every frame right after it is decoded, before any stage sees it. Nothing inside a mask
/// is analysed, and no frame, evidence image or clip kept can show it.
///
/// Rasterised once per picture size into row spans, conservatively: a pixel row covers the polygon's interior on
/// the row's top and bottom lines (nonzero winding, so an outline traced twice or crossing itself hides all it
/// encloses) and every stretch of outline inside the row (so a spike thinner than a row is not missed), and every
/// covered pixel grows by one pixel on each side, so that a scaled-down frame never leaks a sliver along an edge.
public struct PrivacyMasks: Sendable, Equatable {
    /// One run of covered pixels: row `row`, columns `start..<end`.
    public struct Span: Sendable, Equatable {
        public var row: Int
        public var start: Int
        public var end: Int
    }

    /// Polygons of at least three points each, in source pixels.
    public let polygons: [[SIMD2<Double>]]

    /// Polygons with fewer than three points, or a point that is not a finite number, are left out.
    public init(_ polygons: [[SIMD2<Double>]]) {
        self.polygons = polygons.filter { $0.count >= 3 && $0.allSatisfy { $0.x.isFinite && $0.y.isFinite } }
    }

    public var isEmpty: Bool { polygons.isEmpty }

    /// The spans that cover the masks in a `width` × `height` picture whose pixels are `scale` source pixels wide
    /// (processing size = source size / scale). Work grows with the outline's length in rows, not with
    /// rows × points.
    public func spans(width: Int, height: Int, scale: Double) -> [Span] {
        guard width > 0, height > 0, scale.isFinite, scale > 0, !polygons.isEmpty else { return [] }
        // Per row: x intervals to cover (before the one-pixel growth), from every polygon.
        var intervals = [[(Double, Double)]](repeating: [], count: height)
        for polygon in polygons {
            let points = polygon.map { $0 / scale }
            // Crossings of each horizontal line y = 0, 1, …, height with the outline, with the edge's direction.
            var crossings = [[(x: Double, up: Bool)]](repeating: [], count: height + 1)
            var j = points.count - 1
            for i in 0..<points.count {
                let a = points[j], b = points[i]
                j = i
                // The outline's stretch inside each row it passes through.
                let top = min(a.y, b.y), bottom = max(a.y, b.y)
                let rows = Double(height)
                let firstRow = max(0, Int(min(max(top, -1), rows).rounded(.down)))
                let lastRow = min(height - 1, Int(min(max(bottom, -1), rows).rounded(.down)))
                if firstRow <= lastRow {
                    for row in firstRow...lastRow {
                        if a.y == b.y {
                            intervals[row].append((min(a.x, b.x), max(a.x, b.x)))
                            continue
                        }
                        let y0 = max(top, Double(row)), y1 = min(bottom, Double(row + 1))
                        let x0 = Self.x(of: a, b, atY: y0), x1 = Self.x(of: a, b, atY: y1)
                        intervals[row].append((min(x0, x1), max(x0, x1)))
                    }
                }
                // Where it crosses the row lines (half-open, so a vertex on a line counts once).
                guard a.y != b.y else { continue }
                let firstLine = max(0, Int(min(max(top, -1), rows + 1).rounded(.up)))
                let lastLine = min(height, Int(min(max(bottom, -1), rows + 1).rounded(.up)) - 1)
                if firstLine <= lastLine {
                    for line in firstLine...lastLine {
                        let y = Double(line)
                        guard (a.y > y) != (b.y > y) else { continue }
                        crossings[line].append((Self.x(of: a, b, atY: y), b.y > a.y))
                    }
                }
            }
            // The interior on each line, by nonzero winding, covers the rows above and below it.
            for line in 0...height {
                let sorted = crossings[line].sorted { $0.x < $1.x }
                var winding = 0
                for (k, crossing) in sorted.enumerated() {
                    winding += crossing.up ? 1 : -1
                    guard winding != 0, k + 1 < sorted.count else { continue }
                    let span = (crossing.x, sorted[k + 1].x)
                    if line > 0 { intervals[line - 1].append(span) }
                    if line < height { intervals[line].append(span) }
                }
            }
        }
        // Every touched pixel, one more on each side and on the rows above and below.
        var covered = [[(Int, Int)]](repeating: [], count: height)
        for row in 0..<height {
            for (x0, x1) in intervals[row] {
                let first = max(0, Int(min(max(x0, -2), Double(width) + 1).rounded(.down)) - 1)
                let last = min(width - 1, Int(min(max(x1, -2), Double(width) + 1).rounded(.up)))
                guard first <= last else { continue }
                for r in max(0, row - 1)...min(height - 1, row + 1) { covered[r].append((first, last + 1)) }
            }
        }
        var spans: [Span] = []
        for row in 0..<height where !covered[row].isEmpty {
            let sorted = covered[row].sorted { $0.0 < $1.0 }
            var current = sorted[0]
            for next in sorted.dropFirst() {
                if next.0 <= current.1 {
                    current.1 = max(current.1, next.1)
                } else {
                    spans.append(Span(row: row, start: current.0, end: current.1))
                    current = next
                }
            }
            spans.append(Span(row: row, start: current.0, end: current.1))
        }
        return spans
    }

    /// The x of segment a–b (not horizontal) at height `y`, clamped to ±1e6.
    static func x(of a: SIMD2<Double>, _ b: SIMD2<Double>, atY y: Double) -> Double {
        let x = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)
        return min(max(x, -1e6), 1e6)
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

/// Applies a camera's masks to its frames, keeping the spans of the last few picture sizes (a camera that
/// alternates between sizes does not rasterise again for each frame).
public struct PrivacyMasker: Sendable {
    private struct Size: Hashable {
        var width: Int
        var height: Int
        var sourceWidth: Int
    }

    public let masks: PrivacyMasks
    private var cache: [(size: Size, spans: [PrivacyMasks.Span])] = []
    static let cachedSizes = 4

    public init(_ masks: PrivacyMasks) {
        self.masks = masks
    }

    /// `frame` with every mask blacked out of its luma and colour planes.
    public mutating func apply(_ frame: consuming Frame) -> Frame {
        guard !masks.isEmpty else { return frame }
        let size = Size(width: frame.gray.width, height: frame.gray.height, sourceWidth: frame.sourceWidth)
        let spans: [PrivacyMasks.Span]
        if let index = cache.firstIndex(where: { $0.size == size }) {
            spans = cache[index].spans
        } else {
            spans = masks.spans(width: size.width, height: size.height, scale: frame.scaleToSource)
            if cache.count == Self.cachedSizes { cache.removeFirst() }
            cache.append((size, spans))
        }
        // The frame is the caller's to give up (`consuming`): its planes are blacked out in place, not copied.
        PrivacyMasks.blackOut(&frame.gray, spans: spans)
        if frame.rgb != nil { PrivacyMasks.blackOut(&frame.rgb!, spans: spans) }
        return frame
    }
}
