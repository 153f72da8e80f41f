import Foundation
import Imaging
import SightlineCore
import Testing

/// Privacy masks: every pixel a polygon touches is black (and a one-pixel margin), in luma and colour, at any
/// processing scale; nothing far from a mask changes; hostile coordinates do not trap.
@Suite struct PrivacyMasksTests {
    static func frame(width: Int, height: Int, sourceWidth: Int, color: Bool) -> Frame {
        Frame(camera: "c", seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0,
              gray: Image(width: width, height: height, channels: 1,
                          pixels: [UInt8](repeating: 200, count: width * height)),
              rgb: color ? Image(width: width, height: height, channels: 3,
                                 pixels: [UInt8](repeating: 100, count: width * height * 3)) : nil,
              sourceWidth: sourceWidth, sourceHeight: height * sourceWidth / width)
    }

    static func inside(_ polygon: [SIMD2<Double>], _ x: Double, _ y: Double) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let a = polygon[i], b = polygon[j]
            if (a.y > y) != (b.y > y), x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y) { inside.toggle() }
            j = i
        }
        return inside
    }

    @Test func aTriangleAtHalfScaleIsBlackWhereverItReaches() {
        // Source 200×120, processed at 100×60: every processing pixel is 2×2 source pixels.
        let triangle: [SIMD2<Double>] = [[30, 10], [170, 40], [60, 110]]
        var masker = PrivacyMasker(PrivacyMasks([triangle]))
        let masked = masker.apply(Self.frame(width: 100, height: 60, sourceWidth: 200, color: true))
        var black = 0
        for y in 0..<60 {
            for x in 0..<100 {
                // Any of the pixel's four source pixels' centres inside: it must be black, in every plane.
                let touched = [(0.5, 0.5), (1.5, 0.5), (0.5, 1.5), (1.5, 1.5)].contains {
                    Self.inside(triangle, Double(2 * x) + $0.0, Double(2 * y) + $0.1)
                }
                let gray = masked.gray.pixels[y * 100 + x]
                let rgb = masked.rgb!.pixels[(y * 100 + x) * 3..<(y * 100 + x) * 3 + 3]
                if touched {
                    #expect(gray == 0 && rgb.allSatisfy { $0 == 0 }, "(\(x), \(y)) shows through")
                }
                // Two processing pixels away from the triangle in every direction: untouched.
                let near = (-2...2).contains { dy in
                    (-2...2).contains { dx in
                        Self.inside(triangle, Double(2 * (x + dx)) + 1, Double(2 * (y + dy)) + 1)
                    }
                }
                if !near { #expect(gray == 200 && rgb.allSatisfy { $0 == 100 }, "(\(x), \(y)) was blacked out") }
                if gray == 0 { black += 1 }
            }
        }
        // About the triangle's area at this scale (5 400 source px² / 4), plus the margin.
        #expect(black > 1350 && black < 2100, "\(black)")
    }

    @Test func masksSpanTheWholePictureAndBeyondWithoutTrapping() {
        let everything: [SIMD2<Double>] = [[-1e12, -1e12], [1e12, -1e12], [1e12, 1e12], [-1e12, 1e12]]
        var masker = PrivacyMasker(PrivacyMasks([everything, [[5, 5], [6, 5], [5, 6]]]))
        let masked = masker.apply(Self.frame(width: 64, height: 48, sourceWidth: 64, color: false))
        #expect(masked.gray.pixels.allSatisfy { $0 == 0 })
        // No masks, or only degenerate ones: the frame is untouched.
        var none = PrivacyMasker(PrivacyMasks([[[1, 1], [9, 9]]]))
        #expect(none.masks.isEmpty)
        #expect(none.apply(Self.frame(width: 8, height: 8, sourceWidth: 8, color: false)).gray.pixels
            .allSatisfy { $0 == 200 })
    }

    @Test func spansFollowThePictureSize() {
        let square: [SIMD2<Double>] = [[40, 40], [80, 40], [80, 80], [40, 80]]
        var masker = PrivacyMasker(PrivacyMasks([square]))
        let full = masker.apply(Self.frame(width: 160, height: 120, sourceWidth: 160, color: false))
        let quarter = masker.apply(Self.frame(width: 40, height: 30, sourceWidth: 160, color: false))
        // Full size: columns 39...80 of row 60 are black (the square plus a pixel each side), 37 and 82 are not.
        #expect((39...80).allSatisfy { full.gray.pixels[60 * 160 + $0] == 0 })
        #expect(full.gray.pixels[60 * 160 + 37] == 200 && full.gray.pixels[60 * 160 + 82] == 200)
        // A quarter of the size: the square is 10...19, blacked out with its margin.
        #expect((9...20).allSatisfy { quarter.gray.pixels[15 * 40 + $0] == 0 })
        #expect(quarter.gray.pixels[15 * 40 + 7] == 200 && quarter.gray.pixels[15 * 40 + 22] == 200)
    }

    /// Outlines that cross themselves hide all they enclose (nonzero winding), and a spike thinner than a row
    /// is still covered (the attack review's findings 4 and 5).
    @Test func selfCrossingOutlinesAndThinSpikesAreCovered() {
        func masked(_ polygon: [SIMD2<Double>]) -> Image {
            var masker = PrivacyMasker(PrivacyMasks([polygon]))
            return masker.apply(Self.frame(width: 100, height: 60, sourceWidth: 100, color: false)).gray
        }
        // A square traced twice: even-odd would call its inside outside.
        let twice: [SIMD2<Double>] = [[20, 10], [60, 10], [60, 50], [20, 50], [20, 10], [60, 10], [60, 50], [20, 50]]
        let square = masked(twice)
        #expect((11..<50).allSatisfy { y in (21..<60).allSatisfy { square.pixels[y * 100 + $0] == 0 } })
        // A five-pointed star drawn in one stroke: its centre pentagon is wound twice.
        let star: [SIMD2<Double>] = (0..<5).map { k in
            let angle = Double(k * 2) * 2 * Double.pi / 5 - Double.pi / 2
            return [50 + 25 * cos(angle), 30 + 25 * sin(angle)]
        }
        let starred = masked(star)
        #expect((27...33).allSatisfy { y in (47...53).allSatisfy { starred.pixels[y * 100 + $0] == 0 } })
        // A spike 0.3 px tall lying between the sample lines of row 20.
        let spike = masked([[10, 20.1], [60, 20.25], [10, 20.4]])
        #expect((10...60).allSatisfy { spike.pixels[20 * 100 + $0] == 0 })
        #expect(spike.pixels[40 * 100 + 30] == 200)
    }

    @Test func manyLongOutlinesRasteriseOnceAndMatchTheirArea() {
        // 64 polygons of 1024 points (the configuration's limits): circles, rasterised at two sizes.
        let circles: [[SIMD2<Double>]] = (0..<64).map { n in
            let cx = Double(40 + (n % 8) * 75), cy = Double(40 + (n / 8) * 55)
            return (0..<1024).map { k in
                let angle = Double(k) * 2 * Double.pi / 1024
                return [cx + 20 * cos(angle), cy + 20 * sin(angle)]
            }
        }
        let masks = PrivacyMasks(circles)
        let spans = masks.spans(width: 640, height: 480, scale: 1)
        let black = spans.reduce(0) { $0 + $1.end - $1.start }
        // 64 discs of radius 20 (about 1257 px each), each grown by a pixel: between the area and that of r = 22.
        #expect(black > 64 * 1257 && black < 64 * 1521, "\(black)")
        #expect(masks.spans(width: 320, height: 240, scale: 2).count > 0)
    }

    @Test func planesAreBlackedOutInPlace() {
        var masker = PrivacyMasker(PrivacyMasks([[[10, 10], [50, 10], [50, 40], [10, 40]]]))
        let frame = Self.frame(width: 100, height: 60, sourceWidth: 100, color: true)
        let gray = frame.gray.pixels.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let rgb = frame.rgb!.pixels.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let masked = masker.apply(consume frame)
        #expect(masked.gray.pixels[20 * 100 + 20] == 0)
        #expect(masked.gray.pixels.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } == gray)
        #expect(masked.rgb!.pixels.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } == rgb)
    }
}
