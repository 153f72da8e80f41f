/// A dlib `shape_predictor` read from a model file (e.g. `shape_predictor_5_face_landmarks.dat`):
/// a cascade of forests of regression trees (Kazemi & Sullivan) that refines a mean shape.
///
/// Parse only, with structure checks; running it is FaceKit's landmark stage. Coordinates are in
/// dlib's normalised face-box space (the unit square of the detection box).
public struct ShapePredictorModel: Sendable {
    /// A split node: compare pixel `index1` with pixel `index2` of the cascade level's feature pixels;
    /// go left when intensity(index1) − intensity(index2) > threshold.
    public struct Split: Sendable, Equatable {
        public var index1: Int
        public var index2: Int
        public var threshold: Float
    }

    /// A complete binary tree: `splits.count` inner nodes in breadth-first order (children of node i
    /// at 2i+1 and 2i+2), then `splits.count + 1` leaves.
    public struct RegressionTree: Sendable, Equatable {
        public var splits: [Split]
        /// Leaf shape updates, `leafCount × shapeValueCount` values, leaf after leaf.
        public var leafValues: [Float]
        public var leafCount: Int { splits.count + 1 }
    }

    /// One level of the cascade: its trees and the feature pixels they read.
    public struct Level: Sendable, Equatable {
        public var trees: [RegressionTree]
        /// For each feature pixel: the landmark it is anchored to.
        public var anchorIndices: [Int]
        /// For each feature pixel: its offset from the anchor landmark (x, y), in normalised units.
        public var deltas: [SIMD2<Float>]
    }

    /// The mean shape: x0, y0, x1, y1, … (2 values per landmark).
    public let initialShape: [Float]
    public let levels: [Level]

    /// Number of landmarks.
    public var landmarkCount: Int { initialShape.count / 2 }

    public init(initialShape: [Float], levels: [Level]) {
        self.initialShape = initialShape
        self.levels = levels
    }

    /// Reads a shape predictor from the bytes of a dlib `.dat` file.
    public init(bytes: [UInt8]) throws(ModelLoadError) {
        var decoder = DlibDecoder(bytes: bytes)
        self = try Self.read(&decoder)
    }

    /// Reads a shape predictor from a dlib `.dat` file.
    public init(contentsOfFile path: String) throws(ModelLoadError) {
        try self.init(bytes: ModelFile.read(path))
    }

    /// Layout (dlib/image_processing/shape_predictor.h): int version 1; initial_shape
    /// (matrix<float,0,1>); forests (vector of vector of tree; a tree = vector of splits
    /// {unsigned idx1, unsigned idx2, float thresh} then vector of leaf matrix<float,0,1>);
    /// anchor_idx (vector of vector of unsigned long); deltas (vector of vector of vector<float,2>).
    static func read(_ decoder: inout DlibDecoder) throws(ModelLoadError) -> ShapePredictorModel {
        let versionOffset = decoder.offset
        let version = try decoder.readInt("shape_predictor version")
        guard version == 1 else {
            throw ModelLoadError(.unsupportedVersion, offset: versionOffset, tag: "shape_predictor",
                                 detail: "shape_predictor version \(version), expected 1")
        }
        let shapeOffset = decoder.offset
        let initialShape = try decoder.readFloatColumn("initial_shape")
        guard !initialShape.isEmpty, initialShape.count % 2 == 0 else {
            throw ModelLoadError(.malformed, offset: shapeOffset, detail: "initial shape has \(initialShape.count) "
                                     + "values, expected an even, non-zero count")
        }
        let forestCount = try decoder.readCount("forest count")
        var forests: [[RegressionTree]] = []
        for level in 0..<forestCount {
            // A tree takes at least 8 bytes (two counts and one leaf's matrix header).
            let treeCount = try decoder.readCount("tree count of level \(level)", elementBytes: 8)
            var trees: [RegressionTree] = []
            trees.reserveCapacity(treeCount)
            for tree in 0..<treeCount {
                let name = "level \(level) tree \(tree)"
                trees.append(try readTree(&decoder, shapeValues: initialShape.count, name: name))
            }
            forests.append(trees)
        }
        let anchorsOffset = decoder.offset
        let anchorLevels = try decoder.readCount("anchor_idx level count")
        var anchors: [[Int]] = []
        for level in 0..<anchorLevels {
            let count = try decoder.readCount("anchor_idx count of level \(level)", elementBytes: 2)
            var indices: [Int] = []
            indices.reserveCapacity(count)
            for _ in 0..<count {
                let offset = decoder.offset
                let index = try decoder.readUnsigned("anchor index")
                guard index < UInt64(initialShape.count / 2) else {
                    throw ModelLoadError(.malformed, offset: offset, detail: "anchor index \(index) of level \(level) "
                                             + "is not one of the \(initialShape.count / 2) landmarks")
                }
                indices.append(Int(index))
            }
            anchors.append(indices)
        }
        let deltasOffset = decoder.offset
        let deltaLevels = try decoder.readCount("deltas level count")
        var deltas: [[SIMD2<Float>]] = []
        for level in 0..<deltaLevels {
            let count = try decoder.readCount("delta count of level \(level)", elementBytes: 8)
            var points: [SIMD2<Float>] = []
            points.reserveCapacity(count)
            for _ in 0..<count {
                let x = try decoder.readFloat("delta x")
                let y = try decoder.readFloat("delta y")
                points.append(SIMD2(x, y))
            }
            deltas.append(points)
        }
        guard anchorLevels == forestCount else {
            throw ModelLoadError(.malformed, offset: anchorsOffset, detail: "\(anchorLevels) anchor levels for "
                                     + "\(forestCount) forests")
        }
        guard deltaLevels == forestCount else {
            throw ModelLoadError(.malformed, offset: deltasOffset, detail: "\(deltaLevels) delta levels for "
                                     + "\(forestCount) forests")
        }
        guard decoder.isAtEnd else {
            throw ModelLoadError(.trailingBytes, offset: decoder.offset, detail: "\(decoder.remaining) bytes after "
                                     + "the shape predictor")
        }
        var levels: [Level] = []
        for level in 0..<forestCount {
            guard anchors[level].count == deltas[level].count else {
                throw ModelLoadError(.malformed, offset: deltasOffset,
                                     detail: "level \(level): \(anchors[level].count) "
                                         + "anchors, \(deltas[level].count) deltas")
            }
            for tree in forests[level] {
                let pixels = anchors[level].count
                for split in tree.splits where split.index1 >= pixels || split.index2 >= pixels {
                    throw ModelLoadError(.malformed, offset: anchorsOffset, detail: "level \(level): a split reads "
                                             + "pixel \(max(split.index1, split.index2)) of \(pixels)")
                }
            }
            levels.append(Level(trees: forests[level], anchorIndices: anchors[level], deltas: deltas[level]))
        }
        return ShapePredictorModel(initialShape: initialShape, levels: levels)
    }

    private static func readTree(_ decoder: inout DlibDecoder, shapeValues: Int, name: String)
        throws(ModelLoadError) -> RegressionTree
    {
        let start = decoder.offset
        let splitCount = try decoder.readCount("\(name) split count", elementBytes: 6)
        var splits: [Split] = []
        splits.reserveCapacity(splitCount)
        for _ in 0..<splitCount {
            let index1 = try decoder.readUnsigned("split idx1")
            let index2 = try decoder.readUnsigned("split idx2")
            let threshold = try decoder.readFloat("split thresh")
            guard index1 <= UInt64(Int32.max), index2 <= UInt64(Int32.max) else {
                throw ModelLoadError(.malformed, offset: start, detail: "\(name): split index out of range")
            }
            splits.append(Split(index1: Int(index1), index2: Int(index2), threshold: threshold))
        }
        let leafCount = try decoder.readCount("\(name) leaf count")
        guard leafCount == splitCount + 1, (leafCount & (leafCount - 1)) == 0 else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(name): \(splitCount) splits and \(leafCount) "
                                     + "leaves is not a complete binary tree")
        }
        // Every leaf value takes at least 4 bytes of the file (a mantissa and an exponent): a header asking
        // for more than what is left is refused before anything is reserved.
        let (valueCount, overflow) = leafCount.multipliedReportingOverflow(by: shapeValues)
        guard !overflow, valueCount <= decoder.remaining / 4 else {
            throw ModelLoadError(.truncated, offset: start, detail: "\(name): \(leafCount) leaves of \(shapeValues) "
                                     + "values cannot fit in the \(decoder.remaining) bytes left")
        }
        var leafValues: [Float] = []
        leafValues.reserveCapacity(valueCount)
        for leaf in 0..<leafCount {
            let leafOffset = decoder.offset
            let values = try decoder.readFloatColumn("\(name) leaf \(leaf)")
            guard values.count == shapeValues else {
                throw ModelLoadError(.malformed, offset: leafOffset, detail: "\(name) leaf \(leaf) has \(values.count) "
                                         + "values, the shape has \(shapeValues)")
            }
            leafValues.append(contentsOf: values)
        }
        return RegressionTree(splits: splits, leafValues: leafValues)
    }
}
