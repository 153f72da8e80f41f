import Foundation
import SightlineCore
import Testing
@testable import Traffic

/// How the stage tells a vehicle's rear by its tail lamps at night (`TrafficStage.tailLampRear`).
@Suite struct TailLampTests {
    /// The tail lamps a rear is told by: the lowest pair in the box, one in its left third and one in its right, of a
    /// saturated red; not one lamp alone, nor a dim red body.
    @Test func theTailLampRearIsTheLowestPairOfSaturatedRedSpots() {
        let box = TrafficBox(left: 100, top: 20, right: 160, bottom: 170)
        let red = (255.0, 50.0, 40.0)
        func rear(_ lights: [(box: (Double, Double, Double, Double), colour: (Double, Double, Double))],
                  body: [(Double, Double, Double, Double)] = []) -> Double? {
            let frame = TestScene.frame(0, signal: .red, boxes: body, road: 36, body: (120, 20, 25), lights: lights)
            return TrafficStage.tailLampRear(in: box, rgb: frame.rgb!, scale: frame.scaleToSource)
        }
        let upper = [(box: (102.0, 60.0, 109.0, 64.0), colour: red), (box: (151.0, 60.0, 158.0, 64.0), colour: red)]
        let lower = [(box: (102.0, 120.0, 109.0, 124.0), colour: red), (box: (151.0, 121.0, 158.0, 125.0), colour: red)]
        #expect(rear(upper) == 64.5, "a row and a half below the lamps' last row, 63")
        #expect(rear(upper + lower) == 125.5, "the lowest pair, to its lower lamp's last row")
        #expect(rear([lower[0]]) == nil, "one lamp alone")
        #expect(rear([], body: [(100, 60, 160, 130)]) == nil, "a dark red body")
        #expect(TrafficStage.tailLampRear(in: TrafficBox(left: 400, top: 20, right: 460, bottom: 170),
                                          rgb: TestScene.frame(0, signal: .red).rgb!, scale: 1) == nil, "outside the picture")
    }

    static let red = (255.0, 50.0, 40.0)

    /// One red light alone is no pair of tail lamps: a 14 × 4 strip at the middle of a 40-px car's box (a
    /// high-mounted brake lamp, a red reflector bar; or the signal head's 16-px red lamp in a box up to 53 px wide).
    @Test func oneWideRedLightAloneIsNoPairOfTailLamps() {
        let box = TrafficBox(left: 140, top: 20, right: 180, bottom: 170)
        let strip = [(box: (153.0, 100.0, 167.0, 104.0), colour: (255.0, 50.0, 40.0))]
        let frame = TestScene.frame(0, signal: .red, road: 36, lights: strip)
        let rear = TrafficStage.tailLampRear(in: box, rgb: frame.rgb!, scale: frame.scaleToSource)
        #expect(rear == nil, "rear \(String(describing: rear))")
        // The signal head's own red lamp (x 292…308, y 12…28), in a box over it 50 px wide.
        let head = TrafficStage.tailLampRear(in: TrafficBox(left: 270, top: 0, right: 320, bottom: 60),
                                             rgb: TestScene.frame(0, signal: .red, road: 36).rgb!, scale: 1)
        #expect(head == nil, "the red signal lamp taken for a pair: rear \(String(describing: head))")
    }

    /// At night a car 40 × 50 (its blob running on into the beam behind it) pulls up at red at 3 px a frame,
    /// its rear stopping 8 px before the line (y 108), braking: its high brake lamp (18 × 4, centred, 20 px above its
    /// tail lamps) is lit. Spray hides its low tail lamps in frame `hidden`. That frame is not measured, as without the
    /// brake lamp; the car stopped short and did not cross.
    @Test(arguments: [26, 29]) func aHighBrakeLampIsNoRearWhenTheTailLampsAreHidden(hidden: Int) throws {
        let stage = TrafficStage(configuration: TestScene.configuration())
        var lines: [String] = []
        stage.trace = { lines.append($0) }
        var frames: [Int] = []
        let red = (255.0, 50.0, 40.0)
        for i in 0..<60 {
            let rear = max(108, 170 - 3 * Double(i - 10))
            let car = (140.0, rear - 50, 180.0, rear)
            let beam = (box: (138.0, rear, 182.0, 180.0), colour: (150.0, 150.0, 140.0))
            let tail = [(box: (142.0, rear - 5, 149.0, rear - 1), colour: red),
                        (box: (171.0, rear - 5, 178.0, rear - 1), colour: red)]
            let high = [(box: (151.0, rear - 25, 169.0, rear - 21), colour: red)]
            let frame = TestScene.frame(i, signal: .red, boxes: i < 10 ? [] : [car], road: 36, body: (70, 70, 76),
                                        lights: i < 10 ? [] : [beam] + high + (i == hidden ? [] : tail))
            for d in try stage.process(frame) where d.type == .trafficRedLightCrossing {
                if case .int(let f) = d.body["frame"] { frames.append(Int(f)) }
            }
        }
        #expect(frames.isEmpty, "crossings at \(frames); \(lines.filter { $0.contains("not reported") })")
    }

    /// A box wider than the car in it (90 px: the car 50 wide at its left, a beam beside it): the car's lamps at its
    /// corners are not in the box's right third, but they are the two ends of the red in it, 46 px apart (at least 30 %
    /// of the box's width): its rear. Two spots 10 px apart are not a car's lamps.
    @Test func theLampsAreToldWithinTheRedTheyEndEvenInABoxWiderThanTheCar() {
        let box = TrafficBox(left: 100, top: 20, right: 190, bottom: 170)
        func rear(_ lamps: [(Double, Double)]) -> Double? {
            let lights = lamps.map { (box: ($0.0, $0.1, $0.0 + 7, $0.1 + 4), colour: Self.red) }
            let frame = TestScene.frame(0, signal: .red, boxes: [], road: 36, lights: lights)
            return TrafficStage.tailLampRear(in: box, rgb: frame.rgb!, scale: frame.scaleToSource)
        }
        #expect(rear([(102, 120), (141, 121)]) == 125.5)
        #expect(rear([(120, 120), (130, 120)]) == nil, "10 px apart")
    }


    /// The crossings (frames) of a night car 40 × 50 going up 6 px a frame (its rear reaches the line at y 100 in frame
    /// 22), its blob running into the beam behind it down to the picture's bottom, its tail lamps hidden in the frames
    /// `hidden`.
    /// From frame `followerFrom` on, the lamps of a vehicle behind show at the picture's bottom edge, inside the beam.
    /// With `beamAhead`, the beam of a vehicle ahead lies on the car's front, up to the picture's top edge: its box
    /// runs from edge to edge and does not move.
    /// With `besideTheLine`, a pair of lamps stands beside the car's lane, its middle 19 px right of the car's (half
    /// the span of the car's lamps is 18 px), its rear 4.5 px before the line: a vehicle waiting in the next lane.
    static func nightCar(lampsHiddenIn hidden: Set<Int>, followerFrom: Int = .max, beamAhead: Bool = false,
                         besideTheLine: Bool = false) throws -> [Int]
    {
        let stage = TrafficStage(configuration: TestScene.configuration())
        var frames: [Int] = []
        for i in 0..<40 {
            let rear = 170 - 6 * Double(i - 10)
            let car = (140.0, rear - 50, 180.0, rear)
            let beam = (box: (138.0, rear, 182.0, 180.0), colour: (150.0, 150.0, 140.0))
            let tail = [(box: (142.0, rear - 5, 149.0, rear - 1), colour: red),
                        (box: (171.0, rear - 5, 178.0, rear - 1), colour: red)]
            let follower = [(box: (142.0, 175.0, 149.0, 179.0), colour: red), (box: (171.0, 175.0, 178.0, 179.0), colour: red)]
            let beside = [(box: (168.0, 100.0, 175.0, 104.0), colour: red),
                          (box: (183.0, 100.0, 190.0, 104.0), colour: red)]
            let frame = TestScene.frame(i, signal: .red, boxes: i < 10 ? [] : [car], road: 36, body: (70, 70, 76),
                                        lights: i < 10 ? [] : [beam] + (hidden.contains(i) ? [] : tail)
                                            + (beamAhead ? [(box: (138.0, 0.0, 182.0, rear - 50), colour: beam.colour)] : [])
                                            + (i >= followerFrom ? follower : [])
                                            + (besideTheLine ? beside : []))
            for d in try stage.process(frame) where d.type == .trafficRedLightCrossing {
                if case .int(let f) = d.body["frame"] { frames.append(Int(f)) }
            }
        }
        return frames
    }

    /// The vehicle behind comes into the car's blob (its beam) with its own lamps at the picture's bottom edge, six
    /// frames before the car crosses: those are the lowest pair in the box now, at its bottom, but the car's rear is
    /// still the lamps it was followed by, where its pace takes them. One crossing, in frame 22 (first set's all-2,
    /// vehicle 1: without this the car's lamps counted as hidden, and three frames later its rear fell back to the
    /// picture's bottom).
    ///
    /// Also when the box runs from the picture's top edge (a beam ahead) to its bottom and does not move: the lamps'
    /// own pace says where they are (second set's quiet-stop-lanes; the first version went by the box's velocity).
    @Test(arguments: [false, true]) func lampsComingIntoTheBoxBelowDoNotLoseTheLampsFollowed(beamAhead: Bool) throws {
        let frames = try Self.nightCar(lampsHiddenIn: [], followerFrom: 16, beamAhead: beamAhead)
        #expect(frames.count == 1 && frames.allSatisfy { abs($0 - 22) <= 1 }, "crossings at \(frames)")
    }

    /// The car's lamps are hidden in the two frames up to its crossing (21, 22), with the vehicle behind in its box
    /// and a pair of lamps standing beside its lane just before the line, inside the area the car's lamps are looked
    /// for, at a row their pace allows. That pair is not the car's: it is out of their column. Taken for them, it held
    /// the car's rear before the line for as long as it stood, and the crossing was lost. Refused but still the lowest
    /// pair in the area when the car's lamps show again (above it, past the line), it hid them, and the crossing was
    /// lost too: the lowest pair at their pace and in their column is the one taken.
    @Test func lampsOutOfTheColumnOfThoseFollowedAreNotThem() throws {
        let frames = try Self.nightCar(lampsHiddenIn: [21, 22], followerFrom: 16, besideTheLine: true)
        #expect(frames.count == 1 && frames.allSatisfy { abs($0 - 22) <= 1 }, "crossings at \(frames)")
        let column = (centre: 160.0, span: 36.0)
        func pair(_ left: Double, _ right: Double) -> TrafficStage.LampPair { .init(rear: 100, left: left, right: right) }
        #expect(TrafficStage.lampsInTheirColumn(pair(142, 178), column))
        #expect(TrafficStage.lampsInTheirColumn(pair(160, 196), column), "18 px to the side: half the span")
        #expect(!TrafficStage.lampsInTheirColumn(pair(168, 190), column), "19 px to the side")
        #expect(!TrafficStage.lampsInTheirColumn(pair(104, 132), column))
    }

    /// The lamps followed are looked for in the track's box widened by a quarter of its width on each side (a blob
    /// that narrowed, cutting a lamp off: second set's all-0, vehicle 0) and up to twice `beyond` above their last row
    /// when that is above the box's top (the vehicle driving on out of a beam that stays), but never more than twice
    /// `beyond` above the box's top, down to the row given.
    @Test func theLampsFollowedAreLookedForAroundTheBox() {
        let box = TrafficBox(left: 100, top: 100, right: 160, bottom: 180)
        let area = TrafficStage.lampSearchArea(around: box, lastRow: 110, beyond: 30, below: 150)
        #expect(area == TrafficBox(left: 85, top: 50, right: 175, bottom: 150))
        #expect(TrafficStage.lampSearchArea(around: box, lastRow: 170, beyond: 30, below: 150).top == 100)
        #expect(TrafficStage.lampSearchArea(around: box, lastRow: 30, beyond: 30, below: 150).top == 40,
                "never more than twice beyond above the box")
        #expect(TrafficStage.lampSearchArea(around: box, lastRow: nil, beyond: 30, below: 150).top == 100)
        // In a picture: the right lamp (x 163–169) is outside the box; both are inside the area.
        let lights = [(box: (105.0, 120.0, 112.0, 124.0), colour: Self.red), (box: (163.0, 120.0, 170.0, 124.0), colour: Self.red)]
        let frame = TestScene.frame(0, signal: .red, road: 36, lights: lights)
        #expect(TrafficStage.tailLampRear(in: box, rgb: frame.rgb!, scale: 1) == nil)
        #expect(TrafficStage.tailLampRear(in: area, rgb: frame.rgb!, scale: 1) == 124.5)
        // Its columns: from the left lamp's first to the right lamp's last.
        #expect(TrafficStage.tailLamps(in: area, rgb: frame.rgb!, scale: 1)
            == TrafficStage.LampPair(rear: 124.5, left: 105, right: 170))
    }

    /// Lamps followed at rows 130 and 124 in frames 10 and 11 (6 px a frame up the picture) are next expected 6 px on
    /// for each frame since: within half a frame's advance and 4 px (7 px), however many frames since. A pair 30 px on
    /// (a truck's high markers, a vehicle ahead) is not them, nor one behind, nor any after more than three frames, nor
    /// any without two rows of the same lamps; lamps that went back have no pace (standing: within 4 px).
    @Test func lampsAreLookedForWhereTheirOwnPaceTakesThem() {
        let rows: [(frame: Int, y: Double)] = [(10, 130), (11, 124)]
        #expect(TrafficStage.lampsAtTheirPace(rows, rear: 118, frame: 12))
        #expect(TrafficStage.lampsAtTheirPace(rows, rear: 112, frame: 12))
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 110, frame: 12))
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 94, frame: 12), "30 px on")
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 126, frame: 12), "behind")
        #expect(TrafficStage.lampsAtTheirPace(rows, rear: 106, frame: 14), "three frames on, 18 px")
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 96, frame: 14), "three frames on, 10 px further")
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 100, frame: 15), "four frames on")
        #expect(!TrafficStage.lampsAtTheirPace(rows, rear: 124, frame: 11), "the same frame")
        #expect(!TrafficStage.lampsAtTheirPace([(11, 124)], rear: 118, frame: 12), "one row: no pace")
        let back: [(frame: Int, y: Double)] = [(10, 124), (11, 130)]
        #expect(TrafficStage.lampsAtTheirPace(back, rear: 127, frame: 12))
        #expect(!TrafficStage.lampsAtTheirPace(back, rear: 136, frame: 12), "following them back")
    }

    /// At night a dark car (40 × 50, up 6 px a frame) runs on into the beam of the vehicle behind it, down to the
    /// picture's bottom edge: its blob's bottom is that edge, never its rear. Its tail lamps (two red spots at its rear
    /// corners) are: the crossing is reported in the frame its rear reaches the line (22). Without lamps (a vehicle
    /// that shows none) there is nothing to tell its rear by, and no crossing.
    @Test(arguments: [true, false]) func atNightTheTailLampsAreTheRearOfABlobThatRunsIntoTheBeamBehind(lamps: Bool) throws {
        let frames = try Self.nightCar(lampsHiddenIn: lamps ? [] : Set(0..<40))
        #expect(lamps ? frames.count == 1 && frames.allSatisfy { abs($0 - 22) <= 1 } : frames.isEmpty,
                "crossings at \(frames)")
    }

    /// Lamps hidden for one frame (rain, spray) in the crossing frame (22) or the frame before it (21): that frame is not
    /// measured (its box bottom, the picture's edge, is no rear), and the crossing is judged over the span, once.
    @Test(arguments: [21, 22])
    func aTailLampHiddenForOneFrameDoesNotLoseTheCrossing(hidden: Int) throws {
        let frames = try Self.nightCar(lampsHiddenIn: [hidden])
        #expect(frames.count == 1 && frames.allSatisfy { abs($0 - 22) <= 1 }, "crossings at \(frames)")
    }

    /// Tail lamps a little inside the rear (on a rear face above the ground, seen at an angle: 11 px above the ground
    /// rear for a car at the stop line with the default perspective scene camera) are not its rear: a car that pulls up
    /// at red with its box's bottom 8 px short of the line, its lamps' image past it, is no crossing, by night as by
    /// day. (Only a box running on behind the lamps by more than half its width, into a beam, is cut at them; looking
    /// down the road, never.)
    @Test(arguments: [true, false]) func lampsAboveTheGroundDoNotMakeAStopShortOfTheLineACrossing(night: Bool) throws {
        let stage = TrafficStage(configuration: TestScene.configuration())
        var frames: [Int] = []
        for i in 0..<50 {
            let bottom = max(108, 170 - 3 * Double(i - 10))
            let car = (140.0, bottom - 60, 180.0, bottom)
            // The lamps' last row 11 px above the ground rear.
            let tail = [(box: (142.0, bottom - 16, 149.0, bottom - 11), colour: Self.red),
                        (box: (171.0, bottom - 16, 178.0, bottom - 11), colour: Self.red)]
            let frame = TestScene.frame(i, signal: .red, boxes: i < 10 ? [] : [car], road: night ? 36 : 90,
                                        body: (70, 70, 76), lights: i < 10 ? [] : tail)
            for d in try stage.process(frame) where d.type == .trafficRedLightCrossing {
                if case .int(let f) = d.body["frame"] { frames.append(Int(f)) }
            }
        }
        #expect(frames.isEmpty, "the ground rear stopped 8 px before the line; crossings at \(frames)")
    }

    /// At processing size 320 × 180 for a 960 × 540 source (scale 3), lamps whose last processing row is 63 cover
    /// source rows up to 191: the rear is half a source pixel below, 192.5, as at scale 1 (not 1.5 processing rows).
    @Test func theLampRearIsHalfASourcePixelBelowTheLampsAtAnyScale() {
        let lights = [(box: (102.0, 60.0, 109.0, 64.0), colour: Self.red), (box: (151.0, 60.0, 158.0, 64.0), colour: Self.red)]
        let small = TestScene.frame(0, signal: .red, road: 36, lights: lights)
        let frame = Frame(camera: "test", seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0, gray: small.gray,
                          rgb: small.rgb, sourceWidth: 960, sourceHeight: 540)
        #expect(frame.scaleToSource == 3)
        let rear = TrafficStage.tailLampRear(in: TrafficBox(left: 300, top: 60, right: 480, bottom: 510), rgb: frame.rgb!,
                                             scale: frame.scaleToSource)
        #expect(rear == 192.5, "rear \(String(describing: rear))")
    }

    /// Degenerate inputs give nil without trapping: NaN, infinite, huge finite or inverted edges, boxes outside the
    /// picture, a bad scale, a one-pixel picture; a box partly outside is clamped to it.
    @Test func degenerateGeometryGivesNil() {
        let rgb = TestScene.frame(0, signal: .red, road: 36,
                                  lights: [(box: (0, 0, 320, 180), colour: Self.red)]).rgb!
        let one = Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 0])
        let boxes = [TrafficBox(left: .nan, top: 0, right: 10, bottom: 10),
                     TrafficBox(left: 0, top: 0, right: .infinity, bottom: 10),
                     TrafficBox(left: 50, top: 50, right: 20, bottom: 100),
                     TrafficBox(left: 50, top: 100, right: 100, bottom: 50),
                     TrafficBox(left: -500, top: -500, right: -400, bottom: -400),
                     TrafficBox(left: 1000, top: 1000, right: 2000, bottom: 2000),
                     TrafficBox(left: 10, top: 10, right: 10, bottom: 10)]
        let huge = [TrafficBox(left: -1e300, top: -1e300, right: 1e300, bottom: 1e300)]
        #expect(TrafficStage.tailLampRear(in: huge[0], rgb: one, scale: 1) == nil)
        #expect(TrafficStage.tailLampRear(in: TrafficBox(left: 0, top: 0, right: 4, bottom: 4), rgb: one, scale: 1e-300) == nil)
        for box in boxes {
            #expect(TrafficStage.tailLampRear(in: box, rgb: rgb, scale: 1) == nil, "\(box)")
        }
        for scale in [0, -1, .nan, .infinity] {
            #expect(TrafficStage.tailLampRear(in: TrafficBox(left: 0, top: 0, right: 300, bottom: 170), rgb: rgb,
                                              scale: scale) == nil)
        }
        #expect(TrafficStage.tailLampRear(in: TrafficBox(left: -5, top: -5, right: 5, bottom: 5), rgb: one, scale: 1) == nil)
        // Partly outside: clamped to the picture, the lowest lamps' row (179) + 1.5.
        let lamps = TestScene.frame(0, signal: .red, road: 36, lights: [(box: (10, 176, 20, 180), colour: Self.red),
                                                                       (box: (290, 176, 300, 180), colour: Self.red)]).rgb!
        #expect(TrafficStage.tailLampRear(in: TrafficBox(left: -100, top: 150, right: 400, bottom: 400), rgb: lamps,
                                          scale: 1) == 180.5)
    }
}
