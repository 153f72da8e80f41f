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

    /// Runs a shadow 0.45 deep at its core, 4 px a frame (60 px/s at 15 fps), across the whole picture; returns the
    /// most model pixels any frame marked.
    static func worstUnderAPassingShadow(_ model: inout BackgroundModel) -> Int {
        var worst = 0
        for step in 0..<130 {
            let shadow = (cx: -100 + 4 * Double(step), cy: 100.0, rx: 90.0, ry: 55.0, depth: 0.45)
            let mask = model.update(gray: Self.plane(shadow: shadow), imageWidth: Self.width)
            worst = max(worst, mask.reduce(0) { $0 + Int($1) })
        }
        return worst
    }

    @Test func aPassingCloudShadowIsNoMotion() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        let worst = Self.worstUnderAPassingShadow(&model)
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

    /// Share of the model pixels wholly inside a box (processing pixels) that the mask marks.
    static func share(_ mask: [UInt8], _ box: (Int, Int, Int, Int)) -> Double {
        var inside = 0, marked = 0
        for my in (box.1 / 4 + 1)..<(box.3 / 4 - 1) {
            for mx in (box.0 / 4 + 1)..<(box.2 / 4 - 1) {
                inside += 1
                marked += Int(mask[my * 80 + mx])
            }
        }
        return Double(marked) / Double(inside)
    }

    /// A grey van a little darker than the road (84 on 100: 19 % less light above black; at 88 it would fade within
    /// 50 frames) standing in a queue. Its track's box is held out of the estimate of the light, so the blocks under
    /// it follow the road's light around it and it stays motion; left to the estimate, the blocks under it take it
    /// for a shadow a little more each frame, and it is gone from the mask within 300 frames.
    @Test func aGreyVehicleHeldByItsTrackIsNotTakenForAShadow() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        let van = (120, 40, 184, 136)
        let held = [BackgroundModel.Area(left: 29, top: 9, right: 47, bottom: 35)]
        var shares: [Double] = []
        for frame in 0..<300 {
            let mask = model.update(gray: Self.plane(boxes: [(van.0, van.1, van.2, van.3, 84)]),
                                    imageWidth: Self.width, held: held)
            if frame % 50 == 49 { shares.append(Self.share(mask, van)) }
        }
        #expect(shares.allSatisfy { $0 >= 0.9 }, "share of the van marked every 50 frames: \(shares)")
    }

    /// A held area with nothing in it (a track's box over bare road) as a cloud's shadow darkens around it (deepening
    /// 1 % a frame to 40 %, its core flat over the area): the blocks inside, even those whose neighbours are all held,
    /// take the light of the blocks around the area, so the road there darkens with the shadow and is no motion.
    @Test func aHeldAreaTakesTheLightAroundIt() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        // Four blocks (4 × 4 model pixels) across, five down: six blocks inside have no neighbour outside.
        let held = [BackgroundModel.Area(left: 32, top: 8, right: 48, bottom: 28)]
        var worst = 0
        for step in 0..<70 {
            let shadow = (cx: 160.0, cy: 72.0, rx: 110.0, ry: 90.0, depth: 0.01 * Double(min(step + 1, 40)))
            let mask = model.update(gray: Self.plane(shadow: shadow), imageWidth: Self.width, held: held)
            var marked = 0
            for y in 8..<28 { for x in 32..<48 { marked += Int(mask[y * 80 + x]) } }
            worst = max(worst, marked)
        }
        #expect(worst <= 4, "up to \(worst) model pixels of the held area taken for motion")
    }

    /// An area holds for the frame it is given with: after a frame with the whole picture held, a shadow passing
    /// over a picture nothing holds is measured again, and is no motion.
    @Test func anAreaHoldsOnlyForItsFrame() {
        var model = Self.model()
        for _ in 0..<20 { _ = model.update(gray: Self.plane(), imageWidth: Self.width) }
        _ = model.update(gray: Self.plane(), imageWidth: Self.width,
                         held: [BackgroundModel.Area(left: 0, top: 0, right: 80, bottom: 45)])
        let worst = Self.worstUnderAPassingShadow(&model)
        #expect(worst <= 8, "up to \(worst) model pixels of the shadow taken for motion")
    }
}
