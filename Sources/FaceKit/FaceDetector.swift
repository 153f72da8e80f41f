import Imaging
import SightlineCore

/// One face found by `FaceDetector`.
public struct FaceDetection: Sendable, Equatable {
    /// The box in the input image's pixels (dlib's rectangle convention, may extend past the image).
    public var box: FaceBox
    /// Filter response minus the sub-detector's threshold (dlib's `detection_confidence`); ≥ the
    /// adjustment passed to `detect`.
    public var score: Double
    /// Which sub-detector fired (frontal face detector: 0 front, 1 left, 2 right, 3/4 front rotated).
    public var detector: Int
}

/// dlib's HOG sliding-window face detector (`object_detector<scan_fhog_pyramid<pyramid_down<6>>>`),
/// run on gray or RGB images with dlib's own arithmetic so that boxes and scores match
/// `dlib.get_frontal_face_detector()`.
///
/// A value type holding the prepared filters; `detect` allocates its working buffers per call and may run
/// concurrently from several threads.
public struct FaceDetector: Sendable {
    public let model: FHOGDetectorModel
    let banks: [FHOGFilterBank]
    /// All banks together, when they are all separable (always, for dlib's frontal face detector).
    let scanner: FHOGScanner?
    let overlap: BoxOverlapTest

    /// Prepares the filters of every sub-detector (the SVD split into separable terms happens here, once).
    public init(model: FHOGDetectorModel) {
        self.model = model
        banks = model.detectors.map {
            FHOGFilterBank(weights: $0.weights, planes: model.planes, rows: model.filterRows, cols: model.filterCols)
        }
        scanner = FHOGScanner(banks: banks)
        overlap = BoxOverlapTest(iou: model.overlapIoU, covered: model.overlapCovered)
    }

    /// Finds faces in a gray (1-channel) or RGB image.
    ///
    /// - Parameters:
    ///   - upsample: times the image is doubled first (dlib's `pyramid_up`, as `face_recognition`'s
    ///     `number_of_times_to_upsample`); each doubling finds faces half as small and costs about 4×.
    ///   - adjustThreshold: added to each sub-detector's threshold (dlib's `adjust_threshold`; 0 is its default).
    /// - Returns: detections after non-maximum suppression, best first.
    public func detect(_ image: Image, upsample: Int = 0, adjustThreshold: Double = 0) -> [FaceDetection] {
        precondition(upsample >= 0 && upsample <= 4, "upsample must be 0...4")
        var scanned = upsample > 0 ? DlibResampling.pyramidUpToPlanes(image) : PlanarImage(image)
        for _ in 1..<max(upsample, 1) { scanned = DlibResampling.pyramidUp(scanned) }
        var found = candidates(in: scanned, adjustThreshold: adjustThreshold)
        if upsample > 0 {
            for index in found.indices {
                let box = found[index].box
                var l = Double(box.left), t = Double(box.top), r = Double(box.right), b = Double(box.bottom)
                for _ in 0..<upsample {  // pyramid_down<2>::rect_down
                    l = l / 2 - 1.25; t = t / 2 - 0.75; r = r / 2 - 1.25; b = b / 2 - 0.75
                }
                found[index].box = FaceBox(rounding: l, t, r, b)
            }
        }
        return found
    }

    /// Width in pixels of the smallest face box the detector reports without upsampling: the box of its detection
    /// window on the finest pyramid level (73 for dlib's frontal face detector, whose 80 px window holds a margin
    /// around the face; dlib reports the same). Each doubling of the image halves it.
    public var smallestFaceWidth: Int {
        // Away from the image's top-left corner: there dlib's rounding of negative cell positions widens boxes.
        imageBox(row: 4 * model.filterRows, col: 4 * model.filterCols, level: 0).width
    }

    /// The fewest doublings (`detect`'s `upsample`, at most `limit`) after which faces `width` pixels wide are
    /// within the detector's reach: `smallestFaceWidth / 2^upsample ≤ width`. A width of 0 or less asks for
    /// every face the detector can find, so `limit`.
    ///
    /// The whole pyramid of the doubled image is scanned, not only its levels for faces below
    /// `smallestFaceWidth`: the coarser levels of the doubled image stand in for the undoubled image's pyramid
    /// at the same cost, so scanning the small-face levels plus the undoubled pyramid would cost as much.
    public func upsample(forFacesOfWidth width: Double, limit: Int = 2) -> Int {
        precondition(limit >= 0 && limit <= 4, "limit must be 0...4")
        var upsample = 0
        var smallest = Double(smallestFaceWidth)
        while upsample < limit && !(width > 0 && smallest <= width) {
            smallest /= 2
            upsample += 1
        }
        return upsample
    }

    /// dlib's `object_detector::operator()` on an already upsampled image: every sub-detector over every
    /// pyramid level, then greedy non-maximum suppression across sub-detectors.
    func candidates(in image: PlanarImage, adjustThreshold: Double) -> [FaceDetection] {
        let levels = pyramid(image)
        var all: [FaceDetection] = []
        var saliencies = [FHOGSaliency](repeating: FHOGSaliency(), count: banks.count)
        var scratch: [Float] = []
        let workspace = FHOGScanner.Workspace()
        var perDetector = [[FaceDetection]](repeating: [], count: banks.count)
        for (level, features) in levels.enumerated() where !features.isEmpty {
            if let scanner {
                scanner.apply(to: features, into: &saliencies, workspace: workspace)
            }
            for (index, bank) in banks.enumerated() {
                if scanner == nil { bank.apply(to: features, into: &saliencies[index], scratch: &scratch) }
                let threshold = model.detectors[index].threshold
                let cutoff = Float(threshold + adjustThreshold)
                collect(saliencies[index], level: level, cutoff: cutoff, threshold: threshold, detector: index,
                        into: &perDetector[index])
            }
        }
        for var list in perDetector {
            list.sort { $0.score > $1.score }
            all.append(contentsOf: list)
        }
        if banks.count > 1 { all.sort { $0.score > $1.score } }
        var kept: [FaceDetection] = []
        for candidate in all where !kept.contains(where: { overlap.overlaps($0.box, candidate.box) }) {
            kept.append(candidate)
        }
        return kept
    }

    private func collect(_ saliency: FHOGSaliency, level: Int, cutoff: Float, threshold: Double, detector: Int,
                         into list: inout [FaceDetection]) {
        saliency.values.withUnsafeBufferPointer { values in
            for r in 0..<saliency.outputRows {
                let row = values.baseAddress! + r * saliency.stride
                for c in 0..<saliency.outputCols where row[c] >= cutoff {
                    let box = imageBox(row: r + saliency.firstRow, col: c + saliency.firstCol, level: level)
                    list.append(FaceDetection(box: box, score: Double(row[c]) - threshold, detector: detector))
                }
            }
        }
    }

    /// The FHOG planes of every pyramid level dlib scans: levels shrink by 5/6 until the next would be
    /// narrower or lower than the model's minimum layer size (computed on rectangles, as dlib does).
    func pyramid(_ image: PlanarImage) -> [FHOGFeatures] {
        var levelCount = 0
        var l = 0.0, t = 0.0, r = Double(image.width - 1), b = Double(image.height - 1)
        let rate = Double(model.pyramidDownRatio - 1) / Double(model.pyramidDownRatio)
        repeat {
            let down = FaceBox(rounding: (l - 0.3) * rate, (t - 0.3) * rate, (r - 0.3) * rate, (b - 0.3) * rate)
            (l, t, r, b) = (Double(down.left), Double(down.top), Double(down.right), Double(down.bottom))
            levelCount += 1
        } while Int(r - l + 1) >= model.minPyramidLayerWidth && Int(b - t + 1) >= model.minPyramidLayerHeight
            && levelCount < model.maxPyramidLevels
        var features: [FHOGFeatures] = []
        var current = image
        for level in 0..<levelCount {
            if level > 0 { current = DlibResampling.pyramidDown(current, ratio: model.pyramidDownRatio) }
            features.append(FHOGExtractor.extract(current, cellSize: model.cellSize, filterRows: model.filterRows,
                                                  filterCols: model.filterCols))
        }
        return features
    }

    /// Maps a filter position on a pyramid level to a box in the scanned image (dlib's `fhog_to_image`
    /// of the centred detection window, then `rect_up` through the levels).
    func imageBox(row: Int, col: Int, level: Int) -> FaceBox {
        let windowRows = model.filterRows - 2 * model.padding, windowCols = model.filterCols - 2 * model.padding
        let left = col - windowCols / 2, top = row - windowRows / 2
        let right = left + windowCols - 1, bottom = top + windowRows - 1
        func toImage(_ p: Int, padding: Int) -> Int {
            let cell = model.cellSize
            let q = (p + 1 - (padding - 1) / 2) * cell + 1
            return q >= 0 ? q + cell / 2 : q - cell / 2
        }
        var l = Double(toImage(left, padding: model.filterCols)), t = Double(toImage(top, padding: model.filterRows))
        var r = Double(toImage(right, padding: model.filterCols)), b = Double(toImage(bottom, padding: model.filterRows))
        let ratio = Double(model.pyramidDownRatio) / (Double(model.pyramidDownRatio) - 1)
        for _ in 0..<level {
            l = l * ratio + 0.3; t = t * ratio + 0.3; r = r * ratio + 0.3; b = b * ratio + 0.3
        }
        return FaceBox(rounding: l, t, r, b)
    }
}
