import Testing
@testable import FaceKit

/// The reader on `frontal_face_detector.svm` (saved by dlib-bin 20.0.1). dlib's Python API reports
/// detection_window_width = detection_window_height = 80 and num_detectors = 5 for this detector.
@Suite(.enabled(if: ModelFiles.available(ModelFiles.detectorName), "run Models/fetch to get the model files"))
struct FHOGDetectorModelTests {
    static let bytes: [UInt8] = (try? ModelFiles.bytes(ModelFiles.detectorName)) ?? []

    @Test func scannerAndDetectors() throws {
        let model = try FHOGDetectorModel(bytes: Self.bytes)
        #expect(model.windowWidth == 80 && model.windowHeight == 80)
        #expect(model.detectors.count == 5)
        #expect(model.cellSize == 8)
        #expect(model.filterRows == 10 && model.filterCols == 10 && model.planes == 31)
        #expect(model.detectors.allSatisfy { $0.weights.count == 3100 && $0.threshold.isFinite })
        #expect(model.minPyramidLayerWidth == 64 && model.minPyramidLayerHeight == 64)
        #expect(model.overlapIoU > 0 && model.overlapIoU < 1)
    }

    @Test func cellSpanFollowsDlib() {
        // 80 px centred at 0 spans pixels −40…39, cells −6…3 after dlib's borders.
        #expect(FHOGDetectorModel.cellSpan(80, cellSize: 8) == 10)
        #expect(FHOGDetectorModel.cellSpan(64, cellSize: 8) == 8)
    }

    @Test(arguments: [1, 10, 60, 100_000, 155_004])
    func truncatedFileIsReported(length: Int) {
        let error = #expect(throws: ModelLoadError.self) {
            try FHOGDetectorModel(bytes: Array(Self.bytes.prefix(length)))
        }
        #expect(error?.reason == .truncated)
        #expect((error?.offset ?? .max) <= length)
    }

    @Test func wrongDimensionCountIsReported() {
        var bytes = Self.bytes
        // num_dimensions 3100 = 02 1c 0c follows the nuclear norm strength; make it 3101.
        let at = try! #require((0..<64).first { bytes[$0] == 0x02 && bytes[$0 + 1] == 0x1c && bytes[$0 + 2] == 0x0c })
        bytes[at + 1] = 0x1d
        let error = #expect(throws: ModelLoadError.self) { try FHOGDetectorModel(bytes: bytes) }
        #expect(error?.reason == .malformed)
        #expect(error?.tag == "scan_fhog_pyramid")
    }
}
