import SightlineCore
import Testing
@testable import Traffic

/// What `replay --masks` draws: the stage hands over each frame as it saw it, and the picture shows the motion,
/// the stop line, the blobs and the tracks where they are.
@Suite struct TrafficInspectionTests {
    /// A 64 × 36 grey picture at 2 source pixels a pixel, a 16 × 9 mask (8 source pixels a cell) with motion in
    /// cells x 2…3, y 2…3 (source x 16…31, y 16…31).
    func inspection(tracks: [Track] = [], reported: Set<Int> = [], blobs: [TrafficBox] = []) -> TrafficInspection {
        var mask = Image(width: 16, height: 9, channels: 1)
        for y in 2...3 { for x in 2...3 { mask.pixels[y * 16 + x] = 1 } }
        return TrafficInspection(
            frame: 7, picture: Image(width: 64, height: 36, channels: 1, pixels: [UInt8](repeating: 100, count: 64 * 36)),
            pictureScale: 2, mask: mask, maskScale: 8,
            stopLines: [TrafficSegment(TrafficPoint(0, 60), TrafficPoint(127, 60))], blobs: blobs, tracks: tracks,
            reported: reported)
    }

    func pixel(_ image: Image, _ x: Int, _ y: Int) -> [UInt8] {
        (0..<3).map { image.pixels[(y * image.width + x) * 3 + $0] }
    }

    func track(_ id: Int, _ box: TrafficBox, confirmed: Bool = true) -> Track {
        Track(id: id, box: box, velocity: TrafficPoint(0, 0), size: (box.width, box.height), hits: 5, misses: 0,
              confirmed: confirmed, lastReference: nil, measuredThisFrame: true)
    }

    @Test func motionIsTintedAndTheRestIsThePicture() {
        let image = inspection().rendered()
        #expect(image.channels == 3 && image.width == 64 && image.height == 36)
        // Picture pixel (10, 10) is source (20, 20): cell (2, 2), motion.
        let moving = pixel(image, 10, 10)
        #expect(moving[0] > 150 && moving[1] < 60 && moving[2] < 60, "\(moving)")
        // Picture pixel (20, 10) is source (40, 20): cell (5, 2), none.
        #expect(pixel(image, 20, 10) == [100, 100, 100])
    }

    @Test func theStopLineBlobsAndTracksAreDrawnWhereTheyAre() {
        let blob = TrafficBox(left: 80, top: 10, right: 100, bottom: 30)
        let seen = track(3, TrafficBox(left: 10, top: 40, right: 40, bottom: 70))
        let crossed = track(12, TrafficBox(left: 80, top: 40, right: 110, bottom: 70))
        let tentative = track(5, TrafficBox(left: 50, top: 40, right: 70, bottom: 70), confirmed: false)
        let image = inspection(tracks: [seen, crossed, tentative], reported: [12], blobs: [blob]).rendered()
        #expect(pixel(image, 60, 30) == [255, 220, 0], "stop line at source y 60")
        #expect(pixel(image, 45, 5) == [0, 220, 255], "blob's top edge")
        #expect(pixel(image, 5, 25) == [40, 255, 40], "confirmed track's left edge")
        #expect(pixel(image, 6, 25) == [40, 255, 40], "two pixels thick")
        #expect(pixel(image, 40, 25) == [255, 40, 40], "the reported track's left edge")
        #expect(pixel(image, 42, 25) == [255, 40, 40], "three pixels thick")
        #expect(pixel(image, 43, 25) == [100, 100, 100])
        #expect(pixel(image, 25, 25) == [255, 255, 255], "tentative track's left edge")
        // Inside the boxes, away from the edges and the ids, the picture is untouched.
        #expect(pixel(image, 12, 28) == [100, 100, 100])
        // The id 12 is drawn just above its box, at twice the font's size: "1" is the middle column of its first
        // digit (picture x 42, 43), 10 rows above the box's top (y 20).
        #expect((8..<18).contains { y in pixel(image, 42, y) == [255, 40, 40] })
        #expect(!(12..<16).contains { y in pixel(image, 40, y) == [255, 40, 40] }, "its left column, below the flag")
    }

    /// Boxes outside the picture, or with coordinates no pixel can hold, draw nothing and do not trap.
    @Test func boxesOutsideThePictureDrawNothing() {
        let outside = [
            track(1, TrafficBox(left: -500, top: -500, right: -300, bottom: -300)),
            track(2, TrafficBox(left: 500, top: 10, right: 900, bottom: 40)),
            track(3, TrafficBox(left: -.infinity, top: .nan, right: .infinity, bottom: 1e300)),
            track(4, TrafficBox(left: -Double.greatestFiniteMagnitude, top: 0, right: 0, bottom: 4)),
        ]
        let image = inspection(tracks: outside).rendered()
        let plain = inspection().rendered()
        // Track 4 ends at source x 0 (its right edge -1 px): off the picture too.
        let drawn = zip(image.pixels, plain.pixels).filter { $0.0 != $0.1 }.count
        #expect(drawn == 0)
    }

    /// The stage hands over every frame: the picture at its size, the mask at the model's, motion where the vehicle
    /// is and nowhere else, its track, and the crossing on the frame it is reported.
    @Test func theStageHandsOverEachFrameAsItSawIt() throws {
        let stage = TrafficStage(configuration: TestScene.configuration())
        var seen: [TrafficInspection] = []
        stage.inspect = { seen.append($0) }
        var reportedOn: [Int] = []
        for i in 0..<40 {
            let bottom = 220 - Double(max(i - 10, 0)) * 6 - (i < 10 ? 100 : 0)
            let boxes = i < 10 ? [] : [(120.0, bottom - 50, 160.0, bottom)]
            let found = try stage.process(TestScene.frame(i, signal: .red, boxes: boxes))
            if found.contains(where: { $0.type == .trafficRedLightCrossing }) { reportedOn.append(i) }
        }
        try #require(seen.count == 40 && reportedOn.count == 1)
        #expect(seen.map(\.frame) == Array(0..<40))
        let frame = seen[20]  // the vehicle's box: x 120…160, y 110…160
        #expect(frame.picture.width == TestScene.width && frame.mask.width == 80)
        #expect(frame.maskScale == 4)
        func motion(_ x: Double, _ y: Double) -> Bool {
            frame.mask.pixels[Int(y / frame.maskScale) * frame.mask.width + Int(x / frame.maskScale)] != 0
        }
        #expect(motion(140, 135))
        #expect(!motion(40, 135) && !motion(240, 40))
        #expect(frame.tracks.contains { $0.box.left < 140 && $0.box.right > 140 && $0.box.bottom > 150 })
        #expect(frame.stopLines == [TestScene.configuration().stopLine])
        for inspection in seen {
            #expect(inspection.reported.isEmpty == (inspection.frame != reportedOn[0]))
        }
    }
}
