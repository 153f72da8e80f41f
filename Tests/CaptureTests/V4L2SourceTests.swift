import CV4L2
@testable import Capture
import SightlineCore
import SightlineTestKit
import Testing

/// A small stand-in for a camera's MJPEG frame: SOI, a byte that says which frame, EOI.
func fakeJPEG(_ marker: UInt8) -> [UInt8] { [0xFF, 0xD8, marker, 0xFF, 0xD9] }

func makeSource(_ fake: FakeV4L2Device, path: String = "/dev/video0",
                _ configuration: V4L2Configuration = V4L2Configuration()) -> V4L2Source {
    V4L2Source(path: path, configuration: configuration, system: fake,
               monotonicNow: fake.monotonicClock, wallNow: fake.wallClock)
}

@Suite struct V4L2SourceTests {
    @Test func openNegotiatesAndStreamsInTheDocumentedOrder() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake, V4L2Configuration(width: 1280, height: 720, framesPerSecond: 30))
        try source.open()

        let buffersSetUp: [FakeV4L2Device.Call] = (0..<4).flatMap { i -> [FakeV4L2Device.Call] in
            [.ioctl(.queryBuffer), .mmap(offset: Int64(i) << 20, length: 1280 * 720 / 2)]
        }
        let expected: [FakeV4L2Device.Call] =
            [.resolve("/dev/video0"), .open("/dev/video0"), .ioctl(.queryCapability)]
            + Array(repeating: .ioctl(.enumerateFormat), count: 3)  // YUYV, MJPG, then EINVAL
            + Array(repeating: .ioctl(.enumerateFrameSizes), count: 3)  // 640x480, 1280x720, EINVAL
            + [.ioctl(.setFormat)]
            + Array(repeating: .ioctl(.enumerateFrameIntervals), count: 3)  // 1/30, 1/15, EINVAL
            + [.ioctl(.getParameters), .ioctl(.setParameters), .ioctl(.requestBuffers)]
            + buffersSetUp
            + Array(repeating: .ioctl(.queueBuffer), count: 4)
            + [.ioctl(.streamOn)]
        #expect(fake.calls == expected)
        #expect(fake.isStreaming)
        #expect(fake.queuedCount == 4)
        #expect(fake.mappedCount == 4)
        #expect(source.negotiated == V4L2Source.Negotiated(
            devicePath: "/dev/video0", fourcc: .mjpeg, width: 1280, height: 720, bytesPerLine: 0,
            frameInterval: V4L2Fraction(1, 30), bufferCount: 4))
    }

    @Test func mjpegIsPreferredOverYUYVListedFirst() throws {
        let fake = FakeV4L2Device()
        #expect(fake.formats.first?.fourcc == .yuyv)
        let source = makeSource(fake)
        try source.open()
        #expect(fake.currentFormat.fourcc == .mjpeg)
        fake.enqueue([.frame(fakeJPEG(7))])
        let frame = try #require(try source.next())
        #expect(frame.payload == .jpeg(fakeJPEG(7)))
    }

    @Test func fallsBackToYUYVAndRepacksPaddedRows() throws {
        let fake = FakeV4L2Device(formats: [
            .init(.grey, "Greyscale", sizes: [.discrete(width: 4, height: 2)]),
            .init(.yuyv, "YUYV 4:2:2", sizes: [.discrete(width: 4, height: 2)]),
        ])
        fake.rowPadding = 4
        let source = makeSource(fake, V4L2Configuration(width: 4, height: 2))
        try source.open()
        #expect(source.negotiated?.fourcc == .yuyv)
        #expect(source.negotiated?.bytesPerLine == 12)
        // Two rows of 8 YUYV bytes, each followed by 4 bytes of driver padding.
        let padded: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0xEE, 0xEE, 0xEE, 0xEE,
                               9, 10, 11, 12, 13, 14, 15, 16, 0xEE, 0xEE, 0xEE, 0xEE]
        fake.enqueue([.frame(padded)])
        let frame = try #require(try source.next())
        #expect(frame.payload == .raw(format: .yuyv, width: 4, height: 2, bytes: Array(1...16)))
    }

    @Test func nativeFormatBeatsOneLibv4l2Emulates() throws {
        let fake = FakeV4L2Device(formats: [
            .init(.mjpeg, "Motion-JPEG", emulated: true, sizes: [.discrete(width: 640, height: 480)]),
            .init(.nv12, "Y/CbCr 4:2:0", sizes: [.discrete(width: 640, height: 480)]),
        ])
        let source = makeSource(fake)
        try source.open()
        #expect(source.negotiated?.fourcc == .nv12)
    }

    @Test func noUsableFormatIsUnsupported() {
        let h264 = FakeV4L2Device.Format(V4L2FourCC("H264"), "H.264", sizes: [.discrete(width: 640, height: 480)])
        let fake = FakeV4L2Device(formats: [h264])
        #expect(throws: CaptureError.unsupported(path: "/dev/video0",
                                                 reason: "no usable pixel format (device offers H264)")) {
            try makeSource(fake).open()
        }
        #expect(!fake.isOpen)
    }

    @Test func driverAdjustedSizeIsAccepted() throws {
        let fake = FakeV4L2Device(formats: [.init(.grey, "Greyscale", sizes: [.discrete(width: 640, height: 480)])])
        fake.forcedSize = (320, 240)
        let source = makeSource(fake)
        try source.open()
        #expect(source.negotiated?.width == 320)
        #expect(source.negotiated?.height == 240)
        fake.enqueue([.frame([UInt8](repeating: 9, count: 320 * 240))])
        let frame = try #require(try source.next())
        #expect(frame.payload == .raw(format: .gray, width: 320, height: 240,
                                      bytes: [UInt8](repeating: 9, count: 320 * 240)))
    }

    @Test func frameRateIsLeftAloneWhenTheDriverCannotSetIt() throws {
        let fake = FakeV4L2Device()
        fake.canSetFrameRate = false
        let source = makeSource(fake, V4L2Configuration(framesPerSecond: 15))
        try source.open()
        #expect(fake.requests.contains(.getParameters))
        #expect(!fake.requests.contains(.setParameters))
        #expect(source.negotiated?.frameInterval == V4L2Fraction(1, 30))
    }

    @Test func requestedRateIsSet() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake, V4L2Configuration(framesPerSecond: 14))
        try source.open()
        #expect(fake.timePerFrame == V4L2Fraction(1, 15))
        #expect(source.negotiated?.frameInterval == V4L2Fraction(1, 15))
    }

    @Test func oneBufferIsAClearErrorAndIsReleased() {
        let fake = FakeV4L2Device()
        fake.maxBuffers = 1
        #expect(throws: CaptureError.unsupported(path: "/dev/video0",
                                                 reason: "driver granted 1 buffer, need at least 2")) {
            try makeSource(fake).open()
        }
        #expect(Array(fake.calls.suffix(3)) == [.ioctl(.requestBuffers), .ioctl(.requestBuffers), .close])
        #expect(fake.bufferCount == 0)
        #expect(!fake.isOpen)
    }

    @Test func byIdLinkIsResolvedToItsNode() throws {
        let fake = FakeV4L2Device()
        fake.nodes = ["/dev/video2"]
        let link = "/dev/v4l/by-id/usb-Fake_Camera_1234-video-index0"
        fake.links = [link: "/dev/video2"]
        let source = makeSource(fake, path: link)
        try source.open()
        #expect(Array(fake.calls.prefix(2)) == [.resolve(link), .open("/dev/video2")])
        #expect(source.negotiated?.devicePath == "/dev/video2")
        #expect(source.description == "v4l2:\(link)")
    }

    @Test func missingOrBusyDeviceCannotOpen() {
        let fake = FakeV4L2Device()
        #expect(throws: CaptureError.cannotOpen(path: "/dev/video7",
                                                reason: "no such device (is the camera plugged in?)")) {
            try makeSource(fake, path: "/dev/video7").open()
        }
        fake.failOpen(with: .busy)
        #expect(throws: CaptureError.cannotOpen(path: "/dev/video0",
                                                reason: "device busy (another program is using the camera)")) {
            try makeSource(fake).open()
        }
    }

    @Test func nodeThatCannotCaptureOrStreamIsUnsupported() {
        let output = FakeV4L2Device()
        output.deviceCaps = UInt32(V4L2_CAP_VIDEO_OUTPUT) | UInt32(V4L2_CAP_STREAMING)
        #expect(throws: CaptureError.unsupported(path: "/dev/video0",
                                                 reason: "not a video capture device (uvcvideo: Fake Camera)")) {
            try makeSource(output).open()
        }
        let multiplanar = FakeV4L2Device()
        multiplanar.deviceCaps = UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE) | UInt32(V4L2_CAP_STREAMING)
        #expect(throws: CaptureError.unsupported(path: "/dev/video0",
                                                 reason: "multi-planar capture devices are not supported")) {
            try makeSource(multiplanar).open()
        }
        let readOnly = FakeV4L2Device()
        readOnly.deviceCaps = UInt32(V4L2_CAP_VIDEO_CAPTURE) | UInt32(V4L2_CAP_READWRITE)
        #expect(throws: CaptureError.unsupported(path: "/dev/video0",
                                                 reason: "device cannot stream (no V4L2_CAP_STREAMING)")) {
            try makeSource(readOnly).open()
        }
        #expect(!readOnly.isOpen)
        let notV4L2 = FakeV4L2Device()
        notV4L2.fail(.queryCapability, with: .notATypewriter)
        #expect(throws: CaptureError.unsupported(
            path: "/dev/video0", reason: "not a V4L2 device (VIDIOC_QUERYCAP: Inappropriate ioctl for device)")) {
            try makeSource(notV4L2).open()
        }
        #expect(!notV4L2.isOpen)
    }
}
