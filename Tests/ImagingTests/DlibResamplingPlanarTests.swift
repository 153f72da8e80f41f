import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// The planar (vectorised) dlib resize against the interleaved scalar reference: byte for byte.
@Suite struct DlibResamplingPlanarTests {
    /// Deterministic test pictures: noise (every rounding case) or smooth gradients plus noise.
    static func picture(width: Int, height: Int, channels: Int, seed: UInt64, smooth: Bool) -> Image {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var image = Image(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for k in 0..<channels {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let noise = Int(state >> 58)
                    let value = smooth ? (x * 3 + y * 2 + k * 40) % 240 + noise : Int(state >> 56)
                    image.pixels[(y * width + x) * channels + k] = UInt8(min(value, 255))
                }
            }
        }
        return image
    }

    static let sizes: [(Int, Int, Int, Int)] = [
        (64, 48, 53, 40), (64, 48, 130, 97), (37, 23, 30, 19), (200, 150, 166, 125), (17, 9, 36, 19),
        (1, 1, 4, 3), (2, 2, 1, 1), (5, 7, 12, 3), (640, 480, 533, 400), (31, 64, 64, 31), (9, 9, 9, 9),
    ]

    @Test("planar resize equals the scalar reference", arguments: [1, 3], [false, true])
    func matchesReference(channels: Int, smooth: Bool) {
        for (index, (w, h, ow, oh)) in Self.sizes.enumerated() {
            let image = Self.picture(width: w, height: h, channels: channels, seed: UInt64(index), smooth: smooth)
            let expected = DlibResampling.resizeBilinear(image, width: ow, height: oh)
            let fromPlanes = DlibResampling.resizeBilinear(PlanarImage(image), width: ow, height: oh)
            let fromInterleaved = DlibResampling.resizeBilinearToPlanes(image, width: ow, height: oh)
            #expect(fromPlanes.interleaved() == expected, "\(w)×\(h)→\(ow)×\(oh) ×\(channels) from planes")
            #expect(fromInterleaved == fromPlanes, "\(w)×\(h)→\(ow)×\(oh) ×\(channels) from interleaved")
        }
    }

    @Test("pyramid up and 5/6 down on planes equal the reference", arguments: [1, 3])
    func pyramid(channels: Int) {
        let image = Self.picture(width: 161, height: 121, channels: channels, seed: 9, smooth: true)
        let up = DlibResampling.pyramidUp(image)
        #expect(DlibResampling.pyramidUpToPlanes(image).interleaved() == up)
        #expect(DlibResampling.pyramidUp(PlanarImage(image)).interleaved() == up)
        var reference = up, planar = PlanarImage(up)
        for _ in 0..<6 {
            reference = DlibResampling.pyramidDown(reference, ratio: 6)
            planar = DlibResampling.pyramidDown(planar, ratio: 6)
            #expect(planar.interleaved() == reference, "level \(reference.width)×\(reference.height)")
        }
    }

    @Test("planes round-trip an interleaved image")
    func roundTrip() {
        let image = Self.picture(width: 13, height: 7, channels: 3, seed: 4, smooth: false)
        let planes = PlanarImage(image)
        #expect(planes.interleaved() == image)
        #expect(planes.bytes[0] == image.pixels[0] && planes.bytes[13 * 7] == image.pixels[1])
    }
}
