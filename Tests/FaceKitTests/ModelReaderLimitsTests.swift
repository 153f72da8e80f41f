import Foundation
import Testing
@testable import FaceKit

/// Crafted model files may not trap a reader or make it allocate from an unchecked header
/// (SECURITY-REVIEW F19). Every case ends in a `ModelLoadError` that says what was wrong.
struct ModelReaderLimitsTests {
    /// A valid `.svm` with one 8×8 window (a 1×1-cell filter of 31 planes), built field by field with
    /// `padding` and `dimensions` as given (0 and 31 make it valid).
    static func svm(padding: UInt64 = 0, dimensions: UInt64 = 31, detectors: Int = 1) -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(2)  // object_detector version
        e.int(1)  // scan_fhog_pyramid version
        e.int(0); e.int(0)  // empty feature cache
        e.int(8)  // cell_size
        e.unsigned(padding)
        e.unsigned(8); e.unsigned(8)  // window
        e.unsigned(1000); e.unsigned(64); e.unsigned(64)  // pyramid levels, min layer size
        e.float(0)  // nuclear norm strength
        e.unsigned(dimensions)
        e.float(0.5); e.float(1)  // overlap thresholds
        e.int(detectors)
        for detector in 0..<detectors {
            e.int(-32); e.int(-1)
            for index in 0..<32 { e.float(Float(index - detector) / 64) }
        }
        return e.bytes
    }

    /// A valid shape predictor: 2 landmarks, one level of one depth-1 tree, 2 feature pixels.
    static func shapePredictor() -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(1)
        e.int(-4); e.int(-1)
        for value: Float in [0.25, 0.5, 0.75, 0.5] { e.float(value) }
        e.int(1)  // levels
        e.int(1)  // trees
        e.int(1)  // splits
        e.int(0); e.int(1); e.float(0.125)
        e.int(2)  // leaves
        for leaf in 0..<2 {
            e.int(-4); e.int(-1)
            for index in 0..<4 { e.float(Float(leaf * 4 + index) / 32) }
        }
        e.int(1); e.int(2); e.int(0); e.int(1)  // anchors
        e.int(1); e.int(2)  // deltas
        for value: Float in [0.1, -0.1, 0.05, 0.2] { e.float(value) }
        return e.bytes
    }

    @Test func craftedFilesAreValidAsBuilt() throws {
        let detector = try FHOGDetectorModel(bytes: Self.svm())
        #expect(detector.filterRows == 1 && detector.filterCols == 1 && detector.detectors.count == 1)
        let predictor = try ShapePredictorModel(bytes: Self.shapePredictor())
        #expect(predictor.landmarkCount == 2 && predictor.levels.count == 1)
    }

    /// `padding` = 2^64−1 trapped in `Int(UInt64)`.
    @Test func svmWithHugePaddingIsRefused() {
        let error = #expect(throws: ModelLoadError.self) { try FHOGDetectorModel(bytes: Self.svm(padding: .max)) }
        #expect(error?.reason == .tooLarge)
        #expect(error?.detail.contains("padding") == true)
        let dims = #expect(throws: ModelLoadError.self) { try FHOGDetectorModel(bytes: Self.svm(dimensions: 1 << 63)) }
        #expect(dims?.reason == .tooLarge)
    }

    /// A 3 MB shape predictor whose one tree has 2^18 leaves of 2^17 values asked for 128 GiB at once.
    @Test func shapePredictorAskingFor128GiBIsRefused() {
        let leaves = 1 << 18, shapeValues = 1 << 17
        var e = DlibTestEncoder()
        e.int(1)
        e.int(-shapeValues); e.int(-1)
        for _ in 0..<shapeValues { e.float(0.5) }
        e.int(1); e.int(1)
        e.int(leaves - 1)
        for _ in 0..<(leaves - 1) { e.int(0); e.int(0); e.float(0) }
        e.int(leaves)
        // Enough bytes left for the leaf count to look plausible, far too few for its values.
        e.bytes += [UInt8](repeating: 0, count: leaves + 16)
        #expect(e.bytes.count < 4 << 20)
        let error = #expect(throws: ModelLoadError.self) { try ShapePredictorModel(bytes: e.bytes) }
        #expect(error?.reason == .truncated)
        #expect(error?.detail.contains("\(leaves) leaves of \(shapeValues) values") == true, "\(String(describing: error))")
    }

    /// A column header of 2^40 rows and 0 columns has no elements, so it passed the size check, and
    /// the rows alone were reserved (found by DlibModelFuzz).
    @Test func columnWithZeroColumnsReservesNothing() throws {
        var e = DlibTestEncoder()
        e.int(1)  // shape_predictor version
        e.int(-(1 << 40)); e.int(0)  // initial_shape: 2^40 × 0
        e.bytes += [UInt8](repeating: 0, count: 64)
        let error = #expect(throws: ModelLoadError.self) { try ShapePredictorModel(bytes: e.bytes) }
        #expect(error?.reason == .malformed)
        var decoder = DlibDecoder(bytes: [0x85, 0, 0, 0, 0, 1, 0x01, 0x00])  // rows −2^32, cols 0
        #expect(try decoder.readFloatColumn("column") == [])
        #expect(decoder.isAtEnd)
    }

    /// Tensor dimensions below 2^31 each whose product overflows `Int`.
    @Test func tensorWhoseElementCountOverflowsIsRefused() {
        var e = DlibTestEncoder()
        e.int(2)
        for dimension in [1, Int(Int32.max), Int(Int32.max), Int(Int32.max)] { e.int(dimension) }
        var decoder = DlibDecoder(bytes: e.bytes)
        let error = #expect(throws: ModelLoadError.self) { try decoder.readTensor("params") }
        #expect(error?.reason == .malformed)
    }

    @Test func deviceFilesAreRefused() {
        for path in ["/dev/zero", "/dev/null", "/"] {
            let error = #expect(throws: ModelLoadError.self, "\(path)") { try FHOGDetectorModel(contentsOfFile: path) }
            #expect(error?.reason == .unreadable, "\(path)")
            #expect(error?.detail.contains("not a regular file") == true, "\(path)")
        }
        #expect(throws: ModelLoadError.self) { try ShapePredictorModel(contentsOfFile: "/dev/zero") }
        #expect(throws: ModelLoadError.self) { try DlibNetwork(contentsOfFile: "/dev/zero") }
    }

    /// A sparse file over the size cap is refused from its size, without reading it.
    @Test func filesOverTheSizeCapAreRefused() throws {
        let path = NSTemporaryDirectory() + "sightline-model-cap-\(getpid()).svm"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.svm())))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try FHOGDetectorModel(contentsOfFile: path).detectors.count == 1)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(ModelFile.maxBytes) + 1)
        try handle.close()
        let error = #expect(throws: ModelLoadError.self) { try FHOGDetectorModel(contentsOfFile: path) }
        #expect(error?.reason == .tooLarge)
        let small = #expect(throws: ModelLoadError.self) { try ModelFile.read(path, maxBytes: 1000) }
        #expect(small?.reason == .tooLarge)
    }

    /// Seeded mutations of small valid files: every one loads or throws a `ModelLoadError`; none traps
    /// or allocates wildly. Mutations target integer control bytes as well as random bytes.
    @Test(arguments: [
        ("svm", Self.svm()), ("shape", Self.shapePredictor()), ("network", DlibSyntheticNetworkTests.network()),
    ])
    func seededMutationsNeverTrap(name: String, original: [UInt8]) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(original.count)
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        let bigs: [[UInt8]] = [[0x08] + [UInt8](repeating: 0xFF, count: 8), [0x08, 0, 0, 0, 0, 0, 0, 0, 0x80],
                               [0x04, 0xFF, 0xFF, 0xFF, 0x7F], [0x84, 0xFF, 0xFF, 0xFF, 0x7F], [0x88] + [UInt8](repeating: 0xFF, count: 8)]
        var loaded = 0, refused = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<(1 + next() % 3) {
                let at = next() % bytes.count
                switch next() % 5 {
                case 0: bytes[at] ^= UInt8(truncatingIfNeeded: 1 << (next() % 8))
                case 1: bytes[at] = UInt8(truncatingIfNeeded: next())
                case 2:
                    let big = bigs[next() % bigs.count]
                    bytes.replaceSubrange(at..<min(at + 1 + next() % 3, bytes.count), with: big)
                case 3: bytes = Array(bytes.prefix(at))
                default: bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
                }
                if bytes.isEmpty { break }
            }
            do {
                switch name {
                case "svm": _ = try FHOGDetectorModel(bytes: bytes)
                case "shape": _ = try ShapePredictorModel(bytes: bytes)
                default: _ = try DlibNetwork(bytes: bytes)
                }
                loaded += 1
            } catch {
                refused += 1
            }
        }
        #expect(loaded + refused == 1500)
        #expect(refused > 500, "\(name): mutations should mostly be refused, \(refused) were")
    }
}
