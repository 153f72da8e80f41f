import Capture
import FaceKit
import Foundation
import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// `sightline faces blur-video` end to end through the built binary, on an MJPEG file made from a real photo
/// (obama3 from the face_recognition sdist, in FaceKit's fixtures): the face moves 6 px per frame and in frame 3
/// a grey bar over the eyes hides it from the detector, so only the tracker keeps it blurred there. The output
/// is read back with Capture's MJPEG source and checked frame by frame with Sightline's own detector.
@Suite(.serialized, .enabled(if: CLIFixtures.modelsAvailable, "Models/fetch has not been run"))
struct BlurVideoCommandTests {
    static let photo = CLIFixtures.top.appendingPathComponent("Tests/FaceKitTests/Golden/faces/obama3.jpg").path
    static let origins = (0..<6).map { (x: 80 - 6 * $0, y: 20) }
    static let occluder = PhotoFootage.Occluder(frame: 3, left: 176, top: 98, width: 82, height: 26)

    static func detector() throws -> FaceDetector {
        FaceDetector(model: try FHOGDetectorModel(contentsOfFile: CLIFixtures.models + "/frontal_face_detector.svm"))
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "sightline-cli-blur-video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func blurVideo(_ source: String, _ output: String) throws -> GalleryCommandTests.Result {
        try GalleryCommandTests.sightline(["faces", "blur-video", source, output, "--models", CLIFixtures.models])
    }

    /// The JPEG frames of an MJPEG file, as the daemon's source reads them.
    static func mjpegFrames(_ path: String) throws -> (frames: [[UInt8]], stats: SourceStats) {
        let source = MJPEGFileSource(path: path)
        try source.open()
        defer { source.close() }
        var frames: [[UInt8]] = []
        while let frame = try source.next() {
            guard case .jpeg(let bytes) = frame.payload else {
                Issue.record("frame \(frames.count) is not a JPEG payload")
                continue
            }
            frames.append(bytes)
        }
        return (frames, source.stats)
    }

    @Test("six frames in, six decodable frames out, every face blurred below 5 % of its detail and undetectable")
    func blursEveryFrame() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let detector = try Self.detector()
        let photo = try JPEGDecoder().decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.photo))),
                                             scale: 1, gray: false).image
        let clean = PhotoFootage.frames(of: photo, width: 280, height: 220, origins: Self.origins)
        let jpegs = try PhotoFootage.jpegs(PhotoFootage.frames(of: photo, width: 280, height: 220,
                                                               origins: Self.origins, occluders: [Self.occluder]))
        let inputs = try jpegs.map { try JPEGDecoder().decode($0, scale: 1, gray: false).image }
        // Where the face is: the detector's box at the upsampling blur-video's default uses (what the blur covers).
        let upsample = detector.upsample(forFacesOfWidth: Double(TrackedFaceRedactor.Settings.defaultMinFaceWidth))
        let truth = try clean.map { try #require(detector.detect($0, upsample: upsample).first).box }
        #expect(inputs.enumerated().map { detector.detect($1).isEmpty } == [false, false, false, true, false, false],
                "the detector must miss the face in frame 3 only, or the test proves nothing about the tracker")

        let input = dir + "/in.mjpeg", output = dir + "/out.mjpeg"
        try Data(MJPEGWriter.stream(jpegs)).write(to: URL(fileURLWithPath: input))
        let run = try Self.blurVideo("mjpeg:" + input, output)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("6 frame(s)"), "\(run.stdout)")
        #expect(run.stdout.contains("kept by the tracker") && !run.stdout.contains("(0 kept"), "\(run.stdout)")

        let (frames, stats) = try Self.mjpegFrames(output)
        #expect(frames.count == 6)
        #expect(stats.corrupt == 0 && stats.skippedBytes == 0)
        for (index, jpeg) in frames.enumerated() {
            let image = try JPEGDecoder().decode(jpeg, scale: 1, gray: false).image
            #expect(image.width == 280 && image.height == 220 && image.channels == 3)
            let box = truth[index]
            let before = PhotoFootage.highFrequencyEnergy(inputs[index], left: box.left, top: box.top,
                                                          right: box.right, bottom: box.bottom)
            let after = PhotoFootage.highFrequencyEnergy(image, left: box.left, top: box.top, right: box.right,
                                                         bottom: box.bottom)
            #expect(after < 0.05 * before, "frame \(index): energy \(before) → \(after)")
            #expect(detector.detect(image, upsample: 1).isEmpty, "frame \(index): a face is still detectable")
        }
    }

    @Test("a missing source fails with its path named and leaves no output")
    func missingSource() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Self.blurVideo("mjpeg:\(dir)/absent.mjpeg", dir + "/out.mjpeg")
        #expect(run.status != 0)
        #expect(run.stderr.contains("absent.mjpeg"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.mjpeg"))
    }

    @Test("a file with no JPEG frame in it fails as such and leaves no output")
    func noFrames() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let junk = dir + "/junk.mjpeg"
        // Bytes i·7: 0xFF is always followed by 0x06, so no JPEG start marker anywhere.
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: junk))
        let run = try Self.blurVideo("mjpeg:" + junk, dir + "/out.mjpeg")
        #expect(run.status != 0)
        #expect(run.stderr.contains("no frame in the footage"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.mjpeg"))
    }

    @Test("a frame that does not decode stops the run, naming the frame, and leaves no output")
    func corruptFrame() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = SyntheticFootage.jpegFrames(count: 3, width: 96, height: 64)
        let input = dir + "/in.mjpeg"
        try Data(MJPEGWriter.stream([good[0], good[1], CorruptJPEGs.garbledFrameHeader(good[2])]))
            .write(to: URL(fileURLWithPath: input))
        let run = try Self.blurVideo("mjpeg:" + input, dir + "/out.mjpeg")
        #expect(run.status != 0)
        #expect(run.stderr.contains("frame 2 does not decode"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.mjpeg"))
    }
}
