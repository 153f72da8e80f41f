import SightlineCore
import Traffic

/// Hand-made frames for the stage tests: a flat grey road, a signal head of three 20 × 20 lamps at the
/// top right, and solid rectangles for vehicles. 320 × 180, colour.
enum TestScene {
    static let width = 320
    static let height = 180
    static let lamps = SignalLamps(
        red: square(290, 10), amber: square(290, 34), green: square(290, 58))

    static func square(_ x: Double, _ y: Double, _ side: Double = 20) -> TrafficPolygon {
        TrafficPolygon([TrafficPoint(x, y), TrafficPoint(x + side, y), TrafficPoint(x + side, y + side),
                        TrafficPoint(x, y + side)])
    }

    /// Stop line across the middle of the picture (x 60…220 at y 100), traffic moving up.
    static func configuration(grace: Double = 0.5, stopLine: TrafficSegment? = nil) -> TrafficConfiguration {
        TrafficConfiguration(
            signal: lamps, stopLine: stopLine ?? TrafficSegment(TrafficPoint(60, 100), TrafficPoint(220, 100)),
            direction: TrafficPoint(0, -1), graceSeconds: grace, minArea: 150,
            tuning: TrafficTuning(modelWidth: 80))
    }

    /// A second head without amber (a turn arrow) left of the first: red at y 10, green at y 58.
    static let arrowLamps = SignalLamps(red: square(260, 10), amber: nil, green: square(260, 58))

    /// Frame `index` (pts = index / 10 s) showing `signal` and the given boxes (left, top, right, bottom);
    /// with `arrow`, the second head shows it; `road` is the road's grey (36 is a night road, lamps lit as by day),
    /// `body` the vehicles' colour (yellow unless given); `lights` are painted last, each in its own colour (a beam,
    /// tail lamps).
    static func frame(_ index: Int, signal: SignalState, boxes: [(Double, Double, Double, Double)] = [],
                      brightness: Double = 1, arrow: SignalState? = nil, road: Double = 90,
                      body: (Double, Double, Double) = (220, 215, 60),
                      lights: [(box: (Double, Double, Double, Double), colour: (Double, Double, Double))] = []) -> Frame {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        func paint(_ l: Double, _ t: Double, _ r: Double, _ b: Double, _ colour: (Double, Double, Double)) {
            let (y0, y1, x0, x1) = (max(0, Int(t)), min(height, Int(b)), max(0, Int(l)), min(width, Int(r)))
            guard y0 < y1, x0 < x1 else { return }
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let i = (y * width + x) * 3
                    rgb[i] = UInt8(min(255, colour.0 * brightness))
                    rgb[i + 1] = UInt8(min(255, colour.1 * brightness))
                    rgb[i + 2] = UInt8(min(255, colour.2 * brightness))
                }
            }
        }
        paint(0, 0, Double(width), Double(height), (road, road, road + 4))
        paint(286, 6, 314, 82, (25, 25, 25))
        let lit: [(SignalState, Double, (Double, Double, Double))] = [
            (.red, 10, (255, 40, 30)), (.amber, 34, (255, 170, 0)), (.green, 58, (40, 230, 90)),
        ]
        for (state, y, colour) in lit {
            let on = state == signal
            paint(292, y + 2, 308, y + 18, on ? colour : (colour.0 / 6, colour.1 / 6, colour.2 / 6))
        }
        if let arrow {
            paint(256, 6, 284, 82, (25, 25, 25))
            for (state, y, colour) in lit where state != .amber {
                let on = state == arrow
                paint(262, y + 2, 278, y + 18, on ? colour : (colour.0 / 6, colour.1 / 6, colour.2 / 6))
            }
        }
        for box in boxes { paint(box.0, box.1, box.2, box.3, body) }
        for light in lights { paint(light.box.0, light.box.1, light.box.2, light.box.3, light.colour) }
        let image = Image(width: width, height: height, channels: 3, pixels: rgb)
        var gray = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            let r = 77 * Int(rgb[3 * i]), g = 150 * Int(rgb[3 * i + 1]), b = 29 * Int(rgb[3 * i + 2])
            gray[i] = UInt8((r + g + b) >> 8)
        }
        return Frame(camera: "test", seq: UInt64(index + 1), monotonicNanos: UInt64(index) * 100_000_000,
                     wallNanos: Int64(index) * 100_000_000, pts: Double(index) / 10,
                     gray: Image(width: width, height: height, channels: 1, pixels: gray), rgb: image,
                     sourceWidth: width, sourceHeight: height)
    }
}
