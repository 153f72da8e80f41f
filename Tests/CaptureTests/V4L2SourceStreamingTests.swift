import CV4L2
@testable import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct V4L2SourceStreamingTests {
    @Test func framesAreCopiedRequeuedAndStampedGaplessly() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        // More frames than buffers: only works if every buffer goes back to the driver.
        fake.enqueue((1...10).map { .frame(fakeJPEG(UInt8($0))) })
        let start = fake.now
        for i in 1...10 {
            let frame = try #require(try source.next())
            #expect(frame.seq == UInt64(i))
            #expect(frame.payload == .jpeg(fakeJPEG(UInt8(i))))
            // The driver stamps each buffer when it fills it, one frame interval apart.
            let stamp = start + UInt64(i) * fake.frameIntervalNanos
            #expect(frame.monotonicNanos == stamp / 1000 * 1000)
            #expect(frame.wallNanos == fake.wallOffsetNanos + Int64(frame.monotonicNanos))
            #expect(abs(frame.pts - Double(i - 1) * 0.033333333) < 1e-6)
        }
        #expect(fake.queuedCount == 4)
        #expect(source.stats.frames == 10)
        #expect(source.stats.lost == 0)
    }

    @Test func driverSequenceGapsCountAsLostButSeqStaysGapless() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1)), .frame(fakeJPEG(2), sequenceGap: 3), .frame(fakeJPEG(3))])
        #expect(try (1...3).map { _ in try #require(try source.next()).seq } == [1, 2, 3])
        #expect(source.stats.lost == 3)
    }

    @Test func flaggedAndShortBuffersAreCountedCorruptAndSkipped() throws {
        let fake = FakeV4L2Device(formats: [.init(.grey, "Greyscale", sizes: [.discrete(width: 4, height: 2)])])
        let source = makeSource(fake, V4L2Configuration(width: 4, height: 2))
        try source.open()
        fake.enqueue([
            .frame(Array(1...8), flags: UInt32(V4L2_BUF_FLAG_ERROR)),
            .frame(Array(1...5)),
            .frame(Array(11...18)),
        ])
        let frame = try #require(try source.next())
        #expect(frame.seq == 1)
        #expect(frame.payload == .raw(format: .gray, width: 4, height: 2, bytes: Array(11...18)))
        #expect(source.stats.corrupt == 2)
    }

    @Test func timestampsOfUnknownClockAreReplacedByNow() throws {
        let fake = FakeV4L2Device()
        fake.monotonicTimestamps = false
        let source = makeSource(fake)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1))])
        let frame = try #require(try source.next())
        #expect(frame.monotonicNanos == fake.now)
    }

    @Test func interruptedIoctlAndPollAreRetried() throws {
        let fake = FakeV4L2Device()
        fake.fail(.queryCapability, with: .interrupted, times: 2)
        fake.fail(.dequeueBuffer, with: .interrupted)
        let source = makeSource(fake)
        try source.open()
        #expect(fake.requests.prefix(3) == [.queryCapability, .queryCapability, .queryCapability])
        fake.clearCalls()
        fake.enqueue([.pollInterrupted, .frame(fakeJPEG(1))])
        let frame = try #require(try source.next())
        #expect(frame.payload == .jpeg(fakeJPEG(1)))
        #expect(fake.calls.map(\.description) == ["poll", "poll", "VIDIOC_DQBUF", "VIDIOC_DQBUF", "VIDIOC_QBUF"])
    }

    @Test func wouldBlockFromDequeuePollsAgain() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        fake.clearCalls()
        fake.enqueue([.spuriousWakeup, .frame(fakeJPEG(1))])
        let frame = try #require(try source.next())
        #expect(frame.seq == 1)
        #expect(fake.calls.map(\.description) == ["poll", "VIDIOC_DQBUF", "poll", "VIDIOC_DQBUF", "VIDIOC_QBUF"])
    }

    @Test func silenceForTheDeviceTimeoutIsAStall() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake, V4L2Configuration(deviceTimeout: .seconds(2), pollInterval: .milliseconds(250)))
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1))])
        _ = try source.next()
        let lastFrame = fake.now
        fake.clearCalls()
        #expect(throws: CaptureError.stalled(path: "/dev/video0", seconds: 2)) { try source.next() }
        #expect(fake.now - lastFrame == 2_000_000_000)
        #expect(fake.calls == Array(repeating: .poll(timeoutMillis: 250), count: 8))
    }

    @Test func unplugIsDeviceLostAndCloseStillReleasesEverything() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1)), .unplug])
        _ = try source.next()
        #expect(throws: CaptureError.deviceLost(path: "/dev/video0", reason: "VIDIOC_DQBUF: No such device")) {
            try source.next()
        }
        fake.clearCalls()
        source.close()
        #expect(fake.calls.map(\.description)
            == ["VIDIOC_STREAMOFF", "munmap", "munmap", "munmap", "munmap", "VIDIOC_REQBUFS", "close"])
        #expect(fake.mappedCount == 0)
        #expect(!fake.isOpen)
    }

    @Test func closeStopsUnmapsFreesAndClosesOnce() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1))])
        _ = try source.next()
        fake.clearCalls()
        source.close()
        source.close()
        #expect(fake.calls == [.ioctl(.streamOff)] + Array(repeating: .munmap(length: 1280 * 720 / 2), count: 4)
            + [.ioctl(.requestBuffers), .close])
        #expect(fake.bufferCount == 0)
        #expect(!fake.isStreaming)
        #expect(try source.next() == nil)
    }

    @Test func interruptMakesNextReturnNil() throws {
        let fake = FakeV4L2Device()
        let source = makeSource(fake)
        try source.open()
        source.interrupt()
        fake.enqueue([.frame(fakeJPEG(1))])
        #expect(try source.next() == nil)
    }
}
