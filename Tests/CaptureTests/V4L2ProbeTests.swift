import Foundation
import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct V4L2ProbeTests {
    private func camera() -> FakeV4L2Device {
        let fake = FakeV4L2Device(formats: [
            .init(.mjpeg, "Motion-JPEG",
                  sizes: [.discrete(width: 1920, height: 1080), .discrete(width: 1280, height: 720)],
                  intervals: [V4L2Fraction(1, 30), V4L2Fraction(2, 15)]),
            .init(.yuyv, "YUYV 4:2:2",
                  sizes: [.stepwise(minWidth: 160, maxWidth: 1280, stepWidth: 16,
                                    minHeight: 120, maxHeight: 720, stepHeight: 8)],
                  intervals: [V4L2Fraction(1, 10)]),
            .init(.yu12, "Planar YUV 4:2:0", emulated: true, sizes: [.discrete(width: 640, height: 480)],
                  intervals: []),
        ])
        fake.nodes = ["/dev/video4"]
        fake.links = ["/dev/v4l/by-id/usb-Fake-video-index0": "/dev/video4"]
        return fake
    }

    @Test func listsFormatsSizesAndIntervals() throws {
        let fake = camera()
        let probe = try V4L2Probe(path: "/dev/v4l/by-id/usb-Fake-video-index0", system: fake)
        #expect(probe.devicePath == "/dev/video4")
        #expect(probe.driver == "uvcvideo")
        #expect(probe.driverVersion == "6.1.0")
        #expect(probe.canCapture && probe.canStream)
        #expect(probe.formats.map(\.fourcc) == [.mjpeg, .yuyv, .yu12])
        #expect(probe.formats[0].compressed && !probe.formats[0].emulated)
        #expect(probe.formats[2].emulated)
        #expect(probe.formats[0].sizes == [
            .init(size: .discrete(width: 1920, height: 1080),
                  intervals: .discrete([V4L2Fraction(1, 30), V4L2Fraction(2, 15)])),
            .init(size: .discrete(width: 1280, height: 720),
                  intervals: .discrete([V4L2Fraction(1, 30), V4L2Fraction(2, 15)])),
        ])
        #expect(probe.formats[1].sizes.first?.intervals == .discrete([V4L2Fraction(1, 10)]))
        #expect(probe.formats[2].sizes.first?.intervals == nil)
        #expect(!fake.isOpen)
        #expect(!fake.requests.contains(.streamOn))
    }

    @Test func describesItselfForPeople() throws {
        let probe = try V4L2Probe(path: "/dev/v4l/by-id/usb-Fake-video-index0", system: camera())
        #expect(probe.description == """
            /dev/v4l/by-id/usb-Fake-video-index0 -> /dev/video4
            Fake Camera (uvcvideo 6.1.0, usb-0000:00:14.0-1)
            MJPG  Motion-JPEG (compressed)
                1920x1080: 30 fps, 7.5 fps
                1280x720: 30 fps, 7.5 fps
            YUYV  YUYV 4:2:2
                160x120 - 1280x720 step 16x8: 10 fps
            YU12  Planar YUV 4:2:0 (emulated by libv4l2)
                640x480
            """)
    }

    @Test func roundTripsThroughJSON() throws {
        let probe = try V4L2Probe(path: "/dev/video4", system: camera())
        let json = try JSONEncoder().encode(probe)
        #expect(try JSONDecoder().decode(V4L2Probe.self, from: json) == probe)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""fourcc":"MJPG""#))
    }

    @Test func missingNodeCannotOpen() {
        #expect(throws: CaptureError.cannotOpen(path: "/dev/video0",
                                                reason: "no such device (is the camera plugged in?)")) {
            try V4L2Probe(path: "/dev/video0", system: camera())
        }
    }
}
