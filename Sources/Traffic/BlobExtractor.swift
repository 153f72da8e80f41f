/// A connected group of foreground model pixels, in model-pixel coordinates (inclusive bounds).
public struct Blob: Sendable, Equatable {
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int
    /// Model pixels in the blob.
    public var area: Int
    /// Lane index the blob lies in; -1 outside every lane or when no lanes are configured.
    public var lane: Int
}

/// Cleans a foreground mask (opening, then closing, 3 × 3) and labels its connected components
/// (8-connected, split along lane borders, only inside the detection region).
///
/// Scratch buffers are kept between frames; one extractor per camera.
public struct BlobExtractor: Sendable {
    public let width: Int
    public let height: Int
    /// Lane index per model pixel (-1 outside all lanes); nil when no lanes are configured.
    private let laneMap: [Int8]?
    /// 1 where motion is considered; nil for the whole picture.
    private let regionMap: [UInt8]?
    private var scratch: [UInt8]
    private var cleaned: [UInt8]
    private var labels: [Int32]
    private var parents: [Int32] = []

    /// `lanes` and `region` are in model-pixel coordinates.
    public init(width: Int, height: Int, lanes: [TrafficPolygon], region: TrafficPolygon?) {
        self.width = width
        self.height = height
        func rasterize(_ polygon: TrafficPolygon) -> [Bool] {
            var inside = [Bool](repeating: false, count: width * height)
            for y in 0..<height {
                for x in 0..<width where polygon.contains(TrafficPoint(Double(x) + 0.5, Double(y) + 0.5)) {
                    inside[y * width + x] = true
                }
            }
            return inside
        }
        if lanes.isEmpty {
            laneMap = nil
        } else {
            var map = [Int8](repeating: -1, count: width * height)
            for (index, lane) in lanes.enumerated().reversed() {
                for (i, inside) in rasterize(lane).enumerated() where inside { map[i] = Int8(clamping: index) }
            }
            laneMap = map
        }
        regionMap = region.map { rasterize($0).map { $0 ? 1 : 0 } }
        scratch = [UInt8](repeating: 0, count: width * height)
        cleaned = scratch
        labels = [Int32](repeating: 0, count: width * height)
    }

    /// The cleaned mask of the last `extract` call (for diagnostics and tests).
    public var cleanedMask: [UInt8] { cleaned }

    /// Cleans `mask` and returns its components of at least `minArea` model pixels.
    public mutating func extract(_ mask: [UInt8], minArea: Int) -> [Blob] {
        precondition(mask.count == width * height, "mask size does not match the extractor")
        cleaned = mask
        if let regionMap {
            for i in cleaned.indices where regionMap[i] == 0 { cleaned[i] = 0 }
        }
        Self.morph(&cleaned, &scratch, width, height, dilate: false)
        Self.morph(&cleaned, &scratch, width, height, dilate: true)
        Self.morph(&cleaned, &scratch, width, height, dilate: true)
        Self.morph(&cleaned, &scratch, width, height, dilate: false)
        return label(minArea: minArea)
    }

    /// One 3 × 3 erosion or dilation of `image` in place (borders replicate the edge).
    static func morph(_ image: inout [UInt8], _ scratch: inout [UInt8], _ w: Int, _ h: Int, dilate: Bool) {
        image.withUnsafeBufferPointer { src in
            scratch.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let y0 = max(y - 1, 0), y1 = min(y + 1, h - 1)
                    for x in 0..<w {
                        let x0 = max(x - 1, 0), x1 = min(x + 1, w - 1)
                        var any: UInt8 = 0, all: UInt8 = 1
                        for ny in y0...y1 {
                            let row = ny &* w
                            for nx in x0...x1 {
                                let v = src[row &+ nx]
                                any |= v
                                all &= v
                            }
                        }
                        dst[y &* w &+ x] = dilate ? any : all
                    }
                }
            }
        }
        swap(&image, &scratch)
    }

    /// Two-pass union-find labelling; pixels of different lanes are never joined.
    private mutating func label(minArea: Int) -> [Blob] {
        let (w, h) = (width, height)
        parents.removeAll(keepingCapacity: true)
        parents.append(0)
        func find(_ x: Int32) -> Int32 {
            var root = x
            while parents[Int(root)] != root { root = parents[Int(root)] }
            var node = x
            while parents[Int(node)] != root {
                let next = parents[Int(node)]
                parents[Int(node)] = root
                node = next
            }
            return root
        }
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                labels[i] = 0
                guard cleaned[i] != 0 else { continue }
                let lane = laneMap?[i] ?? -1
                var assigned: Int32 = 0
                for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0)] {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0, nx < w, ny >= 0 else { continue }
                    let j = ny * w + nx
                    let neighbour = labels[j]
                    guard neighbour != 0, (laneMap?[j] ?? -1) == lane else { continue }
                    if assigned == 0 {
                        assigned = find(neighbour)
                    } else {
                        let a = find(assigned), b = find(neighbour)
                        if a != b { parents[Int(max(a, b))] = min(a, b) }
                        assigned = min(a, b)
                    }
                }
                if assigned == 0 {
                    assigned = Int32(parents.count)
                    parents.append(assigned)
                }
                labels[i] = assigned
            }
        }
        var blobIndex = [Int32](repeating: -1, count: parents.count)
        var blobs: [Blob] = []
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                guard labels[i] != 0 else { continue }
                let root = Int(find(labels[i]))
                if blobIndex[root] < 0 {
                    blobIndex[root] = Int32(blobs.count)
                    blobs.append(Blob(minX: x, minY: y, maxX: x, maxY: y, area: 0, lane: Int(laneMap?[i] ?? -1)))
                }
                let b = Int(blobIndex[root])
                blobs[b].minX = min(blobs[b].minX, x)
                blobs[b].maxX = max(blobs[b].maxX, x)
                blobs[b].maxY = y
                blobs[b].area += 1
            }
        }
        return Self.mergeSlivers(blobs).filter { $0.area >= minArea && $0.maxX - $0.minX >= 2 }
    }

    /// Joins a narrow piece that a lane border cut off a wider blob (a wheel over the line, a shadow)
    /// back into that blob: side by side, overlapping in height, under 40 % of its width. A blob outside every
    /// lane (the verge, the cross street, the bodies beyond a lane area's end) takes in nothing: a lane's vehicle
    /// beside it would become part of motion no lane owns, and its box the union of both.
    static func mergeSlivers(_ input: [Blob]) -> [Blob] {
        var blobs = input
        var merged = true
        while merged {
            merged = false
            search: for i in blobs.indices {
                for j in blobs.indices where i != j {
                    let (p, q) = (blobs[i], blobs[j])
                    let pw = p.maxX - p.minX + 1, qw = q.maxX - q.minX + 1
                    let touching = p.minX <= q.maxX + 2 && p.maxX >= q.minX - 2
                    let overlap = min(p.maxY, q.maxY) - max(p.minY, q.minY) + 1
                    guard touching, p.lane != q.lane, q.lane >= 0, Double(pw) < 0.4 * Double(qw),
                          Double(overlap) >= 0.5 * Double(p.maxY - p.minY + 1) else { continue }
                    blobs[j] = Blob(minX: min(p.minX, q.minX), minY: min(p.minY, q.minY), maxX: max(p.maxX, q.maxX),
                                    maxY: max(p.maxY, q.maxY), area: p.area + q.area, lane: q.lane)
                    blobs.remove(at: i)
                    merged = true
                    break search
                }
            }
        }
        return blobs
    }
}
