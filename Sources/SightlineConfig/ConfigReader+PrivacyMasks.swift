import Imaging
import Yams

extension ConfigReader {
    /// Most masks one camera may have.
    static let maxPrivacyMasks = 64

    /// `privacy_masks:` — a list of polygons, each a list of at least three `[x, y]` points in source pixels.
    mutating func readPrivacyMasks(_ node: Node, path: String) -> PrivacyMasks {
        guard case .sequence(let entries) = node, !entries.isEmpty else {
            report(path, at: node.mark, "must be a list of polygons, each a list of [x, y] points in source pixels, "
                + "got \(Self.describe(node))")
            return PrivacyMasks([])
        }
        guard entries.count <= Self.maxPrivacyMasks else {
            report(path, at: node.mark, "holds \(entries.count) masks; at most \(Self.maxPrivacyMasks) are allowed "
                + "(join neighbouring ones into one polygon)")
            return PrivacyMasks([])
        }
        // A single polygon written without the outer list: its entries are points, not polygons.
        if case .sequence(let first) = entries[0], first.count == 2, first.allSatisfy({ Self.numeric($0) != nil }) {
            report(path, at: node.mark, "is a list of polygons; this looks like one polygon's points: "
                + "write it as a list item (- [[x, y], [x, y], [x, y]]) or wrap it in one more [ ]")
            return PrivacyMasks([])
        }
        var polygons: [[SIMD2<Double>]] = []
        for (index, entry) in entries.enumerated() {
            if let polygon = polygon(entry, path: "\(path)[\(index)]") {
                polygons.append(polygon.vertices.map { SIMD2($0.x, $0.y) })
            }
        }
        return PrivacyMasks(polygons)
    }
}
