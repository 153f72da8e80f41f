import Testing
import Traffic

/// The background model on hand-made luma planes: light that changes smoothly over a region (a passing cloud's
/// shadow) or over the whole picture (an exposure step) is no motion, while a vehicle under it still is.
@Suite struct BackgroundModelTests {
    static let width = 320
    static let height = 180

    /// A road of limited-range luma 100 with a fixed texture of ±3 levels, darkened above black (16) by a soft
    /// elliptical shadow centred at (cx, cy) with radii (rx, ry) and `depth` at its core, and grey boxes.
    static func plane(shadow: (cx: Double, cy: Double, rx: Double, ry: Double, depth: Double)? = nil,
                      exposure: Double = 1, boxes: [(Int, Int, Int, Int, Double)] = []) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var level = 100 + Double((x &* 7 &+ y &* 13) % 7) - 3
                for (l, t, r, b, value) in boxes where x >= l && x < r && y >= t && y < b { level = value }
                var k = exposure
                if let s = shadow {
                    let dx = (Double(x) - s.cx) / s.rx, dy = (Double(y) - s.cy) / s.ry
                    let r = dx * dx + dy * dy
                    if r < 1 { k *= 1 - s.depth * min(1, (1 - r) / 0.6) }
                }
                pixels[y * width + x] = UInt8(min(235, max(16, 16 + (level - 16) * k)).rounded())
            }
        }
        return pixels
    }

    static func model() -> BackgroundModel {
        BackgroundModel(imageWidth: width, imageHeight: height, modelWidth: 80, threshold: 10, learningRate: 0.03)
    }

    @Test func aPassingCloudShadowIsNoMotion() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        var worst = 0
        // A shadow 0.45 deep at its core, 4 px a frame (60 px/s at 15 fps), across the whole picture.
        for step in 0..<130 {
            let shadow = (cx: -100 + 4 * Double(step), cy: 100.0, rx: 90.0, ry: 55.0, depth: 0.45)
            let mask = model.update(gray: Self.plane(shadow: shadow), imageWidth: Self.width)
            worst = max(worst, mask.reduce(0) { $0 + Int($1) })
        }
        // 80 × 45 model pixels: a false blob needs a few dozen.
        #expect(worst <= 8, "up to \(worst) model pixels of the shadow taken for motion")
    }

    @Test func aDarkVehicleUnderACloudShadowIsStillMotion() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        let shadow = (cx: 160.0, cy: 90.0, rx: 120.0, ry: 80.0, depth: 0.4)
        for _ in 0..<30 { _ = model.update(gray: Self.plane(shadow: shadow), imageWidth: Self.width) }
        // A dark car (luma 55 in the light, 40 under the shadow's core) driving up through the shadow.
        var covered: [Double] = []
        for step in 0..<12 {
            let top = 110 - 5 * step
            let mask = model.update(gray: Self.plane(shadow: shadow, boxes: [(140, top, 180, top + 60, 55)]),
                                    imageWidth: Self.width)
            // Model pixels (factor 4) wholly inside the car.
            var inside = 0, marked = 0
            for my in (top / 4 + 1)..<((top + 60) / 4 - 1) {
                for mx in 36..<44 {
                    inside += 1
                    marked += Int(mask[my * 80 + mx])
                }
            }
            covered.append(Double(marked) / Double(inside))
        }
        #expect(covered.allSatisfy { $0 >= 0.8 }, "share of the car marked per frame: \(covered)")
    }

    @Test func anExposureStepIsNoMotionEvenWhereBrightPartsClip() {
        var model = Self.model()
        let parked = [(20, 20, 60, 80, 225.0)]   // a white car parked at the kerb, near the top of the range
        for _ in 0..<20 { _ = model.update(gray: Self.plane(boxes: parked), imageWidth: Self.width) }
        for exposure in [1.3, 1.25, 1.2, 1.15, 1.1, 1.05, 1.0] {
            let mask = model.update(gray: Self.plane(exposure: exposure, boxes: parked), imageWidth: Self.width)
            let marked = mask.reduce(0) { $0 + Int($1) }
            #expect(marked <= 8, "exposure \(exposure): \(marked) model pixels taken for motion")
        }
    }
}
