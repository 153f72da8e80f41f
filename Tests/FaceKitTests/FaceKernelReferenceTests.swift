import Foundation
import Imaging
import SightlineCore
import Testing
@testable import FaceKit

/// The vectorised face kernels against their scalar references: bit for bit.
@Suite struct FaceKernelReferenceTests {
    /// Deterministic pictures: noise, or smooth ramps with a little noise (long runs of equal gradients).
    static func picture(width: Int, height: Int, channels: Int, seed: UInt64, smooth: Bool) -> Image {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var image = Image(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for k in 0..<channels {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let value = smooth ? (x * 5 + y * 3 + k * 70) % 230 + Int(state >> 61) : Int(state >> 56)
                    image.pixels[(y * width + x) * channels + k] = UInt8(min(value, 255))
                }
            }
        }
        return image
    }

    @Test("planar FHOG features equal the scalar reference", arguments: [1, 3], [false, true])
    func fhog(channels: Int, smooth: Bool) {
        for (index, (w, h)) in [(80, 64), (97, 53), (40, 40), (161, 121), (17, 30), (12, 12)].enumerated() {
            let image = Self.picture(width: w, height: h, channels: channels, seed: UInt64(index), smooth: smooth)
            let reference = FHOGExtractor.extract(image, cellSize: 8, filterRows: 10, filterCols: 10)
            let fast = FHOGExtractor.extract(PlanarImage(image), cellSize: 8, filterRows: 10, filterCols: 10)
            #expect(fast.rows == reference.rows && fast.cols == reference.cols, "\(w)×\(h)")
            #expect(fast.values == reference.values, "\(w)×\(h)×\(channels)")
        }
    }

    @Test("scanning all sub-detectors together equals each bank's reference filtering")
    func scanner() throws {
        // Low-rank random filters (two terms per plane), so that the banks filter separably as dlib would.
        var state: UInt64 = 7
        func random() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let planes = 31, rows = 10, cols = 10
        let banks = (0..<3).map { _ in
            var weights = [Double](repeating: 0, count: planes * rows * cols)
            for p in 0..<planes {
                for _ in 0..<2 {
                    let u = (0..<rows).map { _ in random() }, v = (0..<cols).map { _ in random() }
                    for r in 0..<rows { for c in 0..<cols { weights[(p * rows + r) * cols + c] += u[r] * v[c] } }
                }
            }
            return FHOGFilterBank(weights: weights, planes: planes, rows: rows, cols: cols)
        }
        #expect(banks.allSatisfy { $0.usesSeparable })
        let scanner = try #require(FHOGScanner(banks: banks))
        let workspace = FHOGScanner.Workspace()
        for (w, h) in [(200, 150), (90, 70), (100, 200)] {
            let image = PlanarImage(Self.picture(width: w, height: h, channels: 3, seed: 3, smooth: true))
            let features = FHOGExtractor.extract(image, cellSize: 8, filterRows: rows, filterCols: cols)
            var together = [FHOGSaliency](repeating: FHOGSaliency(), count: banks.count)
            scanner.apply(to: features, into: &together, workspace: workspace)
            for (d, bank) in banks.enumerated() {
                var alone = FHOGSaliency(), scratch: [Float] = []
                bank.apply(to: features, into: &alone, scratch: &scratch)
                let got = together[d]
                #expect(got.outputRows == alone.outputRows && got.outputCols == alone.outputCols)
                #expect(got.outputRows > 0)
                var same = true
                for r in 0..<alone.outputRows {
                    for c in 0..<alone.outputCols where got.values[r * got.stride + c] != alone.values[r * alone.stride + c] {
                        same = false
                    }
                }
                #expect(same, "\(w)×\(h) detector \(d)")
            }
        }
    }

    @Test("chip sampling equals the scalar reference", arguments: [1, 3])
    func chipSampler(channels: Int) {
        let image = Self.picture(width: 90, height: 70, channels: channels, seed: 11, smooth: false)
        var padded = image.pixels
        padded.append(contentsOf: repeatElement(0, count: FaceChipSampler.padding(rowBytes: image.stride)))
        // Rotations and scales, some mapping partly outside the image (black there), or starting outside it.
        for (angle, scale, ox, oy) in [(0.0, 0.5, 5.0, 4.0), (0.3, 0.45, 20.0, -3.0), (-0.7, 0.8, 60.0, 30.0),
                                       (1.9, 0.3, 40.0, 50.0), (0.0, 1.0, 0.0, 0.0), (0.05, 0.61, -10.0, 12.5),
                                       (3.0, 0.7, 95.0, 80.0), (0.0, 1.0, -75.0, -70.0)] {
            let ax = scale * cos(angle), ay = scale * sin(angle), bx = -scale * sin(angle), by = scale * cos(angle)
            let reference = FaceChipExtractor.sampleReference(image, cols: 150, rows: 150, ax: ax, ay: ay, bx: bx,
                                                              by: by, ox: ox, oy: oy)
            var fast = Image(width: 150, height: 150, channels: channels)
            padded.withUnsafeBufferPointer { src in
                fast.pixels.withUnsafeMutableBufferPointer { dst in
                    FaceChipSampler.sample(src.baseAddress!, width: image.width, height: image.height,
                                           channels: channels, cols: 150, rows: 150, ax: ax, ay: ay, bx: bx, by: by,
                                           ox: ox, oy: oy, into: dst.baseAddress!)
                }
            }
            #expect(fast == reference, "angle \(angle) scale \(scale)")
            #expect(reference.pixels.contains { $0 != 0 })
        }
    }
}
