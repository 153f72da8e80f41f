import SightlineCore
import Testing

@Suite struct ImageTests {
    @Test func subscriptAddressesInterleavedChannels() {
        var image = Image(width: 3, height: 2, channels: 3)
        image[2, 1, 1] = 77
        #expect(image.pixels[(1 * 3 + 2) * 3 + 1] == 77)
        #expect(image.stride == 9)
    }

    @Test(arguments: [(PixelFormat.yuyv, 2 * 4 * 4), (.gray, 12), (.nv12, 12 + 4 * 2), (.i420, 12 + 2 * 2 * 2),
                      (.rgb24, 36)])
    func frameByteCounts(format: PixelFormat, bytes: Int) {
        #expect(format.frameByteCount(width: 3, height: 4) == bytes)
    }

    @Test func frameScaleToSource() {
        let frame = Frame(camera: "c", seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0,
                          gray: Image(width: 160, height: 120, channels: 1), rgb: nil,
                          sourceWidth: 640, sourceHeight: 480)
        #expect(frame.scaleToSource == 4)
    }
}
