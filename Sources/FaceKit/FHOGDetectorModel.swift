/// A dlib HOG sliding-window detector read from a model file, e.g. `frontal_face_detector.svm`
/// (`object_detector<scan_fhog_pyramid<pyramid_down<6>>>`).
///
/// Parse only, with structure checks; running it is FaceKit's detection stage. The pyramid type
/// (`pyramid_down<6>`: each level 5/6 the size of the previous) is a C++ template parameter that the
/// file does not record; `pyramidDownRatio` states the value the frontal face detector is built with.
public struct FHOGDetectorModel: Sendable {
    /// One linear filter over the FHOG feature map and its detection threshold.
    public struct Detector: Sendable, Equatable {
        /// Weights in dlib's order: plane-major, then rows, then columns
        /// (`planes × filterRows × filterCols` values).
        public var weights: [Double]
        /// A window is a detection when its score minus `threshold` is ≥ 0 (dlib's adjust_threshold 0).
        public var threshold: Double
    }

    /// Pixels per HOG cell (8 for dlib's default).
    public let cellSize: Int
    /// Cells of padding around the detection window in the filter.
    public let padding: Int
    /// Detection window in pixels (80×80 for the frontal face detector).
    public let windowWidth: Int
    public let windowHeight: Int
    public let maxPyramidLevels: Int
    /// Smallest pyramid level scanned, in pixels.
    public let minPyramidLayerWidth: Int
    public let minPyramidLayerHeight: Int
    /// Training-time regularisation, kept for completeness.
    public let nuclearNormRegularizationStrength: Double
    /// Filter size in cells.
    public let filterRows: Int
    public let filterCols: Int
    /// FHOG feature planes (31 for dlib's default extractor).
    public let planes: Int
    /// Non-maximum suppression: two boxes overlap when IoU > `overlapIoU` or one covers more than
    /// `overlapCovered` of the other.
    public let overlapIoU: Double
    public let overlapCovered: Double
    /// The sub-detectors (for the frontal face detector: front, left, right, front rotated left,
    /// front rotated right).
    public let detectors: [Detector]
    /// Pyramid scale step: each level is (ratio−1)/ratio the size of the previous. Not in the file.
    public let pyramidDownRatio = 6

    /// Reads a detector from the bytes of a dlib `.svm` file.
    public init(bytes: [UInt8]) throws(ModelLoadError) {
        var decoder = DlibDecoder(bytes: bytes)
        try self.init(decoder: &decoder)
    }

    /// Reads a detector from a dlib `.svm` file.
    public init(contentsOfFile path: String) throws(ModelLoadError) {
        try self.init(bytes: ModelFile.read(path))
    }

    /// Layout: object_detector version 2; scan_fhog_pyramid version 1 (feature extractor: nothing;
    /// cached feature pyramid: dlib::array max_size and size, both 0 after copy_configuration; cell_size
    /// int; padding, window width and height, max pyramid levels, min level width and height as
    /// unsigned long; nuclear norm strength double; num_dimensions unsigned long); test_box_overlap
    /// (iou, percent covered: doubles); detector count; per detector a matrix<double,0,1> of
    /// num_dimensions + 1 values, the last one the threshold.
    init(decoder: inout DlibDecoder) throws(ModelLoadError) {
        let versionOffset = decoder.offset
        let version = try decoder.readInt("object_detector version")
        guard version == 2 else {
            throw ModelLoadError(.unsupportedVersion, offset: versionOffset, tag: "object_detector",
                                 detail: "object_detector version \(version), expected 2")
        }
        let scannerOffset = decoder.offset
        let scannerVersion = try decoder.readInt("scan_fhog_pyramid version")
        guard scannerVersion == 1 else {
            throw ModelLoadError(.unsupportedVersion, offset: scannerOffset, tag: "scan_fhog_pyramid",
                                 detail: "scan_fhog_pyramid version \(scannerVersion), expected 1")
        }
        let featsOffset = decoder.offset
        _ = try decoder.readUnsigned("feature cache max_size")
        guard try decoder.readUnsigned("feature cache size") == 0 else {
            throw ModelLoadError(.malformed, offset: featsOffset, tag: "scan_fhog_pyramid",
                                 detail: "a saved detector carries a feature pyramid; expected an empty one")
        }
        let geometryOffset = decoder.offset
        cellSize = try decoder.readInt("cell_size")
        let geometryLimit = Int(Int32.max)
        padding = try decoder.readSize("padding", limit: geometryLimit)
        windowWidth = try decoder.readSize("window_width", limit: geometryLimit)
        windowHeight = try decoder.readSize("window_height", limit: geometryLimit)
        maxPyramidLevels = try decoder.readSize("max_pyramid_levels", limit: geometryLimit)
        minPyramidLayerWidth = try decoder.readSize("min_pyramid_layer_width", limit: geometryLimit)
        minPyramidLayerHeight = try decoder.readSize("min_pyramid_layer_height", limit: geometryLimit)
        nuclearNormRegularizationStrength = try decoder.readDouble("nuclear_norm_regularization_strength")
        let dimensions = try decoder.readSize("num_dimensions", limit: geometryLimit)
        guard cellSize > 0, windowWidth > 0, windowHeight > 0, padding < 1000, windowWidth < 1 << 16,
              windowHeight < 1 << 16
        else {
            throw ModelLoadError(.malformed, offset: geometryOffset, tag: "scan_fhog_pyramid",
                                 detail: "cell \(cellSize), window \(windowWidth)×\(windowHeight), padding \(padding)")
        }
        // dlib's compute_fhog_window_size: the window centred at the origin mapped to cells, grown by padding.
        filterCols = Self.cellSpan(windowWidth, cellSize: cellSize) + 2 * padding
        filterRows = Self.cellSpan(windowHeight, cellSize: cellSize) + 2 * padding
        planes = 31
        guard dimensions == filterRows * filterCols * planes else {
            throw ModelLoadError(.malformed, offset: geometryOffset, tag: "scan_fhog_pyramid",
                                 detail: "num_dimensions \(dimensions) is not \(filterRows)×\(filterCols)×\(planes)")
        }
        overlapIoU = try decoder.readDouble("test_box_overlap iou_thresh")
        overlapCovered = try decoder.readDouble("test_box_overlap percent_covered_thresh")
        // A weight vector is a matrix header and (dimensions + 1) doubles of at least 4 bytes each.
        let count = try decoder.readCount("detector count", elementBytes: 4 * (dimensions + 1))
        var detectors: [Detector] = []
        for index in 0..<count {
            let offset = decoder.offset
            let values = try decoder.readDoubleColumn("weight vector \(index)")
            guard values.count == dimensions + 1 else {
                throw ModelLoadError(.malformed, offset: offset, tag: "object_detector",
                                     detail: "weight vector \(index) has \(values.count) values, expected "
                                         + "\(dimensions + 1)")
            }
            detectors.append(Detector(weights: Array(values[0..<dimensions]), threshold: values[dimensions]))
        }
        guard !detectors.isEmpty else {
            throw ModelLoadError(.malformed, offset: decoder.offset, tag: "object_detector", detail: "no detectors")
        }
        guard decoder.isAtEnd else {
            throw ModelLoadError(.trailingBytes, offset: decoder.offset, tag: "object_detector",
                                 detail: "\(decoder.remaining) bytes after the last weight vector")
        }
        self.detectors = detectors
    }

    /// Cells covered by a window of `size` pixels centred at 0, as dlib's `image_to_fhog` maps its corners
    /// (one pixel image border, one cell HOG border, C integer division).
    static func cellSpan(_ size: Int, cellSize: Int) -> Int {
        let first = -(size / 2)
        let last = first + size - 1
        return ((last - 1) / cellSize - 1) - ((first - 1) / cellSize - 1) + 1
    }
}
