import FaceKit
import Foundation
import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// The privacy default for small faces: `sightline faces blur-video` without `--upsample` must blur every face at
/// least 40 px wide. The clip is made here from the real photos of FaceKit's fixtures (face_recognition's test
/// images): three faces per frame, each scaled so that dlib's own box for it (Golden/faces/faces.json) is 40 to
/// 80 px wide, on a 640×360 background. Faces that small are beyond dlib's HOG window (80 px) without upsampling,
/// so the old default (`--upsample 0`) left them sharp.
@Suite(.serialized, .enabled(if: CLIFixtures.modelsAvailable, "Models/fetch has not been run"))
struct SmallFaceBlurTests {
    /// A face of the fixtures: the photo and dlib's box at upsample 0 (faces.json).
    struct Source {
        var image: Image
        var box: FaceBox
    }

    static let photos = CLIFixtures.top.appendingPathComponent("Tests/FaceKitTests/Golden/faces")
    /// dlib's boxes for these photos, from Golden/faces/faces.json (upsample 0).
    static let dlibBoxes: [(file: String, box: FaceBox)] = [
        ("obama.jpg", FaceBox(left: 211, top: 78, right: 360, bottom: 228)),
        ("obama3.jpg", FaceBox(left: 181, top: 85, right: 253, bottom: 157)),
        ("biden.jpg", FaceBox(left: 123, top: 54, right: 227, bottom: 158)),
    ]
    static let frameCount = 6
    static let widths = [40, 48, 56, 64, 72, 80]

    static func detector() throws -> FaceDetector {
        FaceDetector(model: try FHOGDetectorModel(contentsOfFile: CLIFixtures.models + "/frontal_face_detector.svm"))
    }

    static func sources() throws -> [Source] {
        try dlibBoxes.map { file, box in
            let bytes = [UInt8](try Data(contentsOf: photos.appendingPathComponent(file)))
            return Source(image: try JPEGDecoder().decode(bytes, scale: 1, gray: false).image, box: box)
        }
    }

    /// Area-average downscale of `image` by `factor` < 1 (each output pixel the mean of the source pixels it
    /// covers, as a camera's optics and sensor integrate): source point p lands on p·factor.
    static func shrink(_ image: Image, factor: Double) -> Image {
        let width = Int(Double(image.width) * factor), height = Int(Double(image.height) * factor)
        var out = Image(width: width, height: height, channels: image.channels)
        for y in 0..<height {
            let y0 = Int(Double(y) / factor), y1 = max(Int(Double(y + 1) / factor), y0 + 1)
            for x in 0..<width {
                let x0 = Int(Double(x) / factor), x1 = max(Int(Double(x + 1) / factor), x0 + 1)
                for k in 0..<image.channels {
                    var sum = 0, count = 0
                    for sy in y0..<min(y1, image.height) {
                        for sx in x0..<min(x1, image.width) { sum += Int(image[sx, sy, k]); count += 1 }
                    }
                    out[x, y, k] = UInt8(sum / max(count, 1))
                }
            }
        }
        return out
    }

    /// Frame `index` of the clip and where dlib's box of each pasted face lies in it.
    static func frame(_ index: Int, sources: [Source]) -> (image: Image, boxes: [FaceBox]) {
        var frame = Image(width: 640, height: 360, channels: 3)
        for y in 0..<360 {
            for x in 0..<640 {
                // A soft gradient with a little texture (no face-like structure).
                let texture = ((x * 7 + y * 13) % 11) - 5
                frame[x, y, 0] = UInt8(clamping: 90 + x / 8 + texture)
                frame[x, y, 1] = UInt8(clamping: 110 + y / 6 + texture)
                frame[x, y, 2] = UInt8(clamping: 120 + texture)
            }
        }
        var boxes: [FaceBox] = []
        for (slot, source) in sources.enumerated() {
            let width = widths[(index + 2 * slot) % widths.count]
            let factor = Double(width) / Double(source.box.width)
            // The head with the context around it, so that the face keeps its outline.
            let margin = source.box.width * 3 / 4
            let left = max(source.box.left - margin, 0), top = max(source.box.top - margin, 0)
            let right = min(source.box.right + margin, source.image.width - 1)
            let bottom = min(source.box.bottom + margin, source.image.height - 1)
            var crop = Image(width: right - left + 1, height: bottom - top + 1, channels: 3)
            for y in 0..<crop.height { for x in 0..<crop.width { for k in 0..<3 {
                crop[x, y, k] = source.image[left + x, top + y, k]
            } } }
            let small = shrink(crop, factor: factor)
            let originX = 30 + slot * 210 + 3 * index, originY = 60 + 2 * index
            for y in 0..<small.height where originY + y < frame.height {
                for x in 0..<small.width where originX + x < frame.width {
                    for k in 0..<3 { frame[originX + x, originY + y, k] = small[x, y, k] }
                }
            }
            func place(_ p: Int, _ origin: Int, _ cropOrigin: Int) -> Int {
                origin + Int((Double(p - cropOrigin) * factor).rounded())
            }
            boxes.append(FaceBox(left: place(source.box.left, originX, left), top: place(source.box.top, originY, top),
                                 right: place(source.box.right, originX, left),
                                 bottom: place(source.box.bottom, originY, top)))
        }
        return (frame, boxes)
    }

    /// High-frequency energy of the face itself: the central two thirds of dlib's box (eyes, nose, mouth). The
    /// box's corners hold hair and background, and the box the blur follows (the detector's at the upsampling
    /// used) can sit a few pixels off the box dlib drew at another scale.
    static func energy(_ image: Image, _ box: FaceBox) -> Double {
        let inset = box.width / 6
        return PhotoFootage.highFrequencyEnergy(image, left: box.left + inset, top: box.top + inset,
                                                right: box.right - inset, bottom: box.bottom - inset)
    }

    /// Runs blur-video on the clip with `extra` arguments; the output frames decoded.
    static func blur(_ jpegs: [[UInt8]], _ extra: [String]) throws -> [Image] {
        let dir = try BlurVideoCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.mjpeg", output = dir + "/out.mjpeg"
        try Data(MJPEGWriter.stream(jpegs)).write(to: URL(fileURLWithPath: input))
        let run = try GalleryCommandTests.sightline(["faces", "blur-video", "mjpeg:" + input, output,
                                                     "--models", CLIFixtures.models] + extra)
        try #require(run.status == 0, "\(run.stderr)")
        return try BlurVideoCommandTests.mjpegFrames(output).frames.map {
            try JPEGDecoder().decode($0, scale: 1, gray: false).image
        }
    }

    @Test("faces of 40 to 80 px are all blurred by default, and none is detectable afterwards")
    func blursSmallFacesByDefault() throws {
        let detector = try Self.detector()
        let sources = try Self.sources()
        let clip = (0..<Self.frameCount).map { Self.frame($0, sources: sources) }
        let jpegs = try PhotoFootage.jpegs(clip.map(\.image), quality: 92)
        let inputs = try jpegs.map { try JPEGDecoder().decode($0, scale: 1, gray: false).image }
        // The clip is a fair test: every face is a face to dlib's detector at a high upsample, where it was put.
        for (index, input) in inputs.enumerated() {
            let found = detector.detect(input, upsample: 2).map(\.box)
            for box in clip[index].boxes {
                #expect(found.contains { $0.intersectionOverUnion(box) >= 0.3 },
                        "frame \(index): the \(box.width) px face at \(box) is not a detectable face: \(found)")
            }
        }

        let outputs = try Self.blur(jpegs, [])
        try #require(outputs.count == Self.frameCount)
        for (index, output) in outputs.enumerated() {
            for box in clip[index].boxes {
                let before = Self.energy(inputs[index], box), after = Self.energy(output, box)
                #expect(after < 0.1 * before, "frame \(index), \(box.width) px face at \(box): \(before) → \(after)")
            }
            let left = detector.detect(output, upsample: 2)
            #expect(left.isEmpty, "frame \(index): faces still detectable after blurring: \(left.map(\.box))")
        }

        // The old default, no upsampling, leaves faces below 80 px sharp: what this test guards against.
        let old = try Self.blur(jpegs, ["--upsample", "0"])
        var sharp = 0
        for (output, frame) in zip(old, clip) {
            let found = detector.detect(output, upsample: 2).map(\.box)
            sharp += frame.boxes.filter { box in found.contains { $0.intersectionOverUnion(box) >= 0.3 } }.count
        }
        #expect(sharp > 0, "with --upsample 0 every face was blurred too: the clip does not test small faces")
    }
}
