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
}
