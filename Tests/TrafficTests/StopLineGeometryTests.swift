import SightlineCore
import Testing
@testable import Traffic

/// Where the stage puts a vehicle's rear and its lane: the blob split goes on past a lane area's far end, and the
/// rear is read half a model pixel inside the blob's edge.
@Suite struct StopLineGeometryTests {
    /// A lane area that ends short of the picture's edge (a perspective camera's, which ends just past the stop
    /// line) is drawn out beyond its far end along the direction of travel, keeping the far end's width: a tall
    /// body rises in the picture above its footprint and must stay apart from the other lanes' bodies there.
    @Test func laneAreasAreSweptOnPastTheirFarEnd() {
        let area = TrafficPolygon([TrafficPoint(100, 360), TrafficPoint(150, 170), TrafficPoint(210, 170),
                                   TrafficPoint(260, 360)])
        let swept = TrafficStage.sweptOn(area, TrafficPoint(0, -1))
        #expect(!area.contains(TrafficPoint(180, 100)))
        #expect(swept.contains(TrafficPoint(180, 100)) && swept.contains(TrafficPoint(152, 0)))
        #expect(!swept.contains(TrafficPoint(140, 100)) && !swept.contains(TrafficPoint(220, 100)),
                "beyond the far end the split keeps the far end's width (not the near end's)")
        for (x, y) in [(120.0, 340.0), (90, 340), (250, 350), (265, 350), (180, 200)] {
            #expect(swept.contains(TrafficPoint(x, y)) == area.contains(TrafficPoint(x, y)), "(\(x), \(y))")
        }
        // Within the picture, an area already reaching its edge is unchanged; a pointed far end is left alone.
        let rectangle = TrafficPolygon([TrafficPoint(100, 0), TrafficPoint(200, 0), TrafficPoint(200, 360),
                                        TrafficPoint(100, 360)])
        let same = TrafficStage.sweptOn(rectangle, TrafficPoint(0, -1))
        for (x, y) in [(99.0, 50.0), (101, 50), (199, 359), (201, 359), (150, 1), (150, -1)] {
            #expect(same.contains(TrafficPoint(x, y)) == (rectangle.contains(TrafficPoint(x, y)) || (y < 0 && x > 100 && x < 200)),
                    "(\(x), \(y))")
        }
        let pointed = TrafficPolygon([TrafficPoint(100, 360), TrafficPoint(150, 170), TrafficPoint(200, 360)])
        #expect(TrafficStage.sweptOn(pointed, TrafficPoint(0, -1)) == pointed)
    }

    /// A vehicle creeping up 1 px a frame over a stop line that lies just inside a model row (y 99.9; rows of 4 px
    /// at this model width): its rear reaches the line when the painted box's bottom is at 99. The blob's bottom
    /// edge is the edge of its last model row, which the rear covers only in part; read as it is, the crossing came
    /// a whole row (3 frames) late.
    @Test func aStopLineInsideAModelRowIsCrossedOnTime() throws {
        let line = TrafficSegment(TrafficPoint(60, 99.9), TrafficPoint(220, 99.9))
        let stage = TrafficStage(configuration: TestScene.configuration(stopLine: line))
        var crossings: [Detection] = []
        var truth: Int?
        for i in 0..<60 {
            // The road alone first (the background is learnt), then the vehicle from below.
            let bottom = 140 - Double(max(i - 10, 0)) * 1
            if truth == nil, i >= 10, bottom <= 99.9 { truth = i }
            let boxes = i < 10 ? [] : [(110.0, bottom - 40, 150.0, bottom)]
            crossings += try stage.process(TestScene.frame(i, signal: .red, boxes: boxes))
                .filter { $0.type == .trafficRedLightCrossing }
        }
        let reported = try #require(crossings.first)
        #expect(crossings.count == 1)
        guard case .int(let frame) = reported.body["frame"], let truth else {
            Issue.record("no frame in \(reported.body)")
            return
        }
        #expect(abs(Int(frame) - truth) <= 1, "reported frame \(frame), the rear reached the line in frame \(truth)")
    }

    /// With lane areas, a crossing is a motion within one lane: a reference point that slides from one lane into
    /// the next as it meets the line (a coasting track caught by a neighbour's blob) does not cross.
    @Test func aCrossingStaysInOneLane() throws {
        func lane(_ x0: Double, _ x1: Double) -> TrafficPolygon {
            TrafficPolygon([TrafficPoint(x0, 0), TrafficPoint(x1, 0), TrafficPoint(x1, 200), TrafficPoint(x0, 200)])
        }
        let rule = CrossingRule(stopLine: TrafficSegment(TrafficPoint(0, 100), TrafficPoint(200, 100)),
                                direction: TrafficPoint(0, -1), lanes: [lane(0, 100), lane(100, 200)])
        let straight = try #require(rule.crossing(from: TrafficPoint(120, 104), to: TrafficPoint(124, 98)))
        #expect(abs(straight - 4.0 / 6) < 1e-9)
        #expect(rule.crossing(from: TrafficPoint(80, 104), to: TrafficPoint(120, 98)) == nil)
        #expect(rule.crossing(from: TrafficPoint(120, 104), to: TrafficPoint(80, 98)) == nil)
    }
}

/// A vehicle whose middle is lost against the road (its roof the road's colour, or rain and snow over it) is two
/// pieces that move together: the front crosses first, the vehicle has crossed when its rear does.
@Suite struct FragmentedVehicleTests {
    /// Runs a vehicle up the picture at 4 px a frame on red: 64 px long and 40 wide, the parts `pieces` (from its
    /// front) painted and everything else the road's colour. Returns the reported frames and the frame its rear
    /// reached the line.
    static func run(pieces: [(top: Double, bottom: Double)], length: Double = 64) throws -> (reported: [Int], truth: Int) {
        let stage = TrafficStage(configuration: TestScene.configuration())
        var frames: [Int] = []
        var truth: Int?
        let line = 100.0
        for i in 0..<80 {
            let rear = 176 - Double(max(i - 10, 0)) * 4
            if truth == nil, i >= 10, rear <= line { truth = i }
            let boxes = i < 10 ? [] : pieces.map { (110.0, rear - length + $0.top, 150.0, rear - length + $0.bottom) }
            for d in try stage.process(TestScene.frame(i, signal: .red, boxes: boxes))
            where d.type == .trafficRedLightCrossing {
                if case .int(let frame) = d.body["frame"] { frames.append(Int(frame)) }
            }
        }
        return (frames, try #require(truth))
    }

    @Test func aVehicleInTwoPiecesCrossesWithItsRear() throws {
        // Front 20 px and rear 20 px of a 64-px vehicle: 24 px of road between them.
        let (reported, truth) = try Self.run(pieces: [(0, 20), (44, 64)])
        #expect(reported.count == 1, "\(reported)")
        #expect(reported.allSatisfy { abs($0 - truth) <= 1 }, "reported \(reported), the rear reached the line at \(truth)")
    }

    @Test func aVehicleSeenWholeStillCrossesOnItsOwn() throws {
        let (reported, truth) = try Self.run(pieces: [(0, 64)])
        #expect(reported.count == 1 && abs(reported[0] - truth) <= 1, "reported \(reported), truth \(truth)")
    }
}

/// Whether a camera looks down the road, judged from its lane areas: one at least 1.3 times as wide at its near end
/// (the picture's bottom, vehicles moving up) as at its far end.
@Suite struct LookingDownTheRoadTests {
    static func configuration(nearWidth: Double?) -> TrafficConfiguration {
        var configuration = TestScene.configuration()
        if let nearWidth {
            // Far end 100 wide at y 0, near end `nearWidth` wide at y 180, both centred on x 140.
            configuration.lanes = [TrafficPolygon([
                TrafficPoint(90, 0), TrafficPoint(190, 0), TrafficPoint(140 + nearWidth / 2, 180),
                TrafficPoint(140 - nearWidth / 2, 180),
            ])]
        }
        return configuration
    }

    @Test(arguments: [(nil, false), (100, false), (125, false), (135, true), (300, true)])
    func aLaneThatWidensTowardsTheCameraSaysSo(nearWidth: Double?, expected: Bool) {
        #expect(TrafficStage.looksDownTheRoad(Self.configuration(nearWidth: nearWidth)) == expected)
    }

    /// Traffic moving down the picture: the near end is the top.
    @Test func theNearEndFollowsTheDirectionOfTravel() {
        var configuration = Self.configuration(nearWidth: 300)
        configuration.direction = TrafficPoint(0, 1)
        #expect(!TrafficStage.looksDownTheRoad(configuration))
    }
}
