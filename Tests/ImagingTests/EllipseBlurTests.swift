import Imaging
import SightlineCore
import Testing

/// EllipseBlur against its scalar reference (`applyReference`) on seeded shapes, and the properties the
/// privacy blur relies on.
struct EllipseBlurTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var width: Int, height: Int, channels: Int
        var centerX: Double, centerY: Double, radiusX: Double, radiusY: Double, block: Int
        var testDescription: String {
            "\(width)x\(height)x\(channels) ellipse (\(centerX), \(centerY)) r \(radiusX)x\(radiusY) block \(block)"
        }
    }

    static func cases() -> [Case] {
        var state: UInt64 = 0xE111_95E
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var cases: [Case] = []
        for index in 0..<24 {
            let width = 8 + next(90), height = 8 + next(70)
            cases.append(Case(width: width, height: height, channels: index % 3 == 0 ? 1 : 3,
                              centerX: Double(next(width * 4)) / 4 - 2, centerY: Double(next(height * 4)) / 4 - 2,
                              radiusX: 1.5 + Double(next(160)) / 4, radiusY: 1.5 + Double(next(120)) / 4,
                              block: [0, 2, 3, 5, 8][next(5)]))
        }
        // Edges: an ellipse past every border, a one-pixel image region, the whole picture.
        cases.append(Case(width: 40, height: 30, channels: 3, centerX: 0, centerY: 29, radiusX: 12, radiusY: 9, block: 0))
        cases.append(Case(width: 40, height: 30, channels: 1, centerX: 20, centerY: 15, radiusX: 40, radiusY: 30, block: 4))
        cases.append(Case(width: 9, height: 7, channels: 3, centerX: 4, centerY: 3, radiusX: 0.6, radiusY: 0.6, block: 2))
        return cases
    }

    static func picture(_ c: Case, seed: UInt64) -> Image {
        var state = seed | 1
        var image = Image(width: c.width, height: c.height, channels: c.channels)
        for index in image.pixels.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            image.pixels[index] = UInt8(truncatingIfNeeded: state >> 32)
        }
        return image
    }

    @Test(arguments: cases())
    func matchesTheScalarReference(c: Case) {
        let original = Self.picture(c, seed: UInt64(c.width * 1000 + c.height))
        var fast = original, reference = original
        EllipseBlur.apply(to: &fast, centerX: c.centerX, centerY: c.centerY, radiusX: c.radiusX, radiusY: c.radiusY,
                          block: c.block)
        EllipseBlur.applyReference(to: &reference, centerX: c.centerX, centerY: c.centerY, radiusX: c.radiusX,
                                   radiusY: c.radiusY, block: c.block)
        var worst = 0, differing = 0
        for (a, b) in zip(fast.pixels, reference.pixels) {
            worst = max(worst, abs(Int(a) - Int(b)))
            if a != b { differing += 1 }
        }
        // Float sums in another order can move a value across a rounding boundary: one level, rarely.
        #expect(worst <= 1, "\(c.testDescription): differs by \(worst)")
        #expect(differing * 100 <= fast.pixels.count, "\(c.testDescription): \(differing) values differ")
    }

    /// Only pixels inside the ellipse change; inside, the result stays within the region's range.
    @Test(arguments: cases())
    func changesOnlyTheEllipse(c: Case) {
        let original = Self.picture(c, seed: 7)
        var image = original
        EllipseBlur.apply(to: &image, centerX: c.centerX, centerY: c.centerY, radiusX: c.radiusX, radiusY: c.radiusY,
                          block: c.block)
        for y in 0..<c.height {
            for x in 0..<c.width {
                let dx = (Double(x) - c.centerX) / c.radiusX, dy = (Double(y) - c.centerY) / c.radiusY
                guard dx * dx + dy * dy > 1 else { continue }
                for k in 0..<c.channels where image[x, y, k] != original[x, y, k] {
                    Issue.record("\(c.testDescription): (\(x), \(y)) outside the ellipse changed")
                    return
                }
            }
        }
    }

    @Test func uniformRegionStaysUniformAndDetailIsGone() {
        var flat = Image(width: 32, height: 32, channels: 3, pixels: [UInt8](repeating: 77, count: 32 * 32 * 3))
        EllipseBlur.apply(to: &flat, centerX: 16, centerY: 16, radiusX: 12, radiusY: 12)
        #expect(flat.pixels.allSatisfy { $0 == 77 })
        // A checkerboard of single pixels (detail finer than a block) averages out to its mean.
        var checker = Image(width: 32, height: 32, channels: 1)
        for y in 0..<32 { for x in 0..<32 { checker[x, y] = (x + y) % 2 == 0 ? 0 : 200 } }
        EllipseBlur.apply(to: &checker, centerX: 16, centerY: 16, radiusX: 10, radiusY: 10, block: 4)
        #expect(checker[16, 16] == 100)
    }
}
