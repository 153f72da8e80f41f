/// An axis-aligned box in pixels with dlib's `rectangle` convention: inclusive corners, so a box with
/// `left == right` is one pixel wide.
public struct FaceBox: Sendable, Hashable, Codable, CustomStringConvertible {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    public var isEmpty: Bool { left > right || top > bottom }
    /// Width in pixels (`right − left + 1`), 0 when empty.
    public var width: Int { isEmpty ? 0 : right - left + 1 }
    public var height: Int { isEmpty ? 0 : bottom - top + 1 }
    public var area: Int { width * height }
    public var centerX: Double { Double(left + right) / 2 }
    public var centerY: Double { Double(top + bottom) / 2 }

    public func intersection(_ other: FaceBox) -> FaceBox {
        FaceBox(left: max(left, other.left), top: max(top, other.top),
                right: min(right, other.right), bottom: min(bottom, other.bottom))
    }

    /// The smallest box containing both (dlib's `rectangle + rectangle`).
    public func union(_ other: FaceBox) -> FaceBox {
        if other.isEmpty { return self }
        if isEmpty { return other }
        return FaceBox(left: min(left, other.left), top: min(top, other.top),
                       right: max(right, other.right), bottom: max(bottom, other.bottom))
    }

    /// Intersection over union of the two areas (what parity tests compare).
    public func intersectionOverUnion(_ other: FaceBox) -> Double {
        let inner = Double(intersection(other).area)
        guard inner > 0 else { return 0 }
        return inner / (Double(area) + Double(other.area) - inner)
    }

    public var description: String { "[\(left), \(top), \(right), \(bottom)]" }

    /// dlib's drectangle → rectangle conversion: each coordinate rounded half away from zero.
    init(rounding left: Double, _ top: Double, _ right: Double, _ bottom: Double) {
        self.init(left: Int(left.rounded(.toNearestOrAwayFromZero)), top: Int(top.rounded(.toNearestOrAwayFromZero)),
                  right: Int(right.rounded(.toNearestOrAwayFromZero)),
                  bottom: Int(bottom.rounded(.toNearestOrAwayFromZero)))
    }
}

/// dlib's `test_box_overlap`: two boxes overlap when their intersection covers more than `iou` of the
/// box bounding both, or more than `covered` of either box.
struct BoxOverlapTest: Sendable {
    var iou: Double
    var covered: Double

    func overlaps(_ a: FaceBox, _ b: FaceBox) -> Bool {
        let inner = Double(a.intersection(b).area)
        guard inner > 0 else { return false }
        let outer = Double(a.union(b).area)
        return inner / outer > iou || inner / Double(a.area) > covered || inner / Double(b.area) > covered
    }
}
