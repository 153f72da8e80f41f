import Dispatch
@testable import Capture
import Glibc
import SightlineCore
import SightlineTestKit
import Testing

/// Collects what the reconnecting source reports and the delays it sleeps, without sleeping.
private final class Recorder: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var _delays: [UInt64] = []
    private var _states: [ReconnectingSource.State] = []
    /// Runs on each sleep with the number of sleeps so far (1-based).
    var onSleep: (Int) -> Void = { _ in }

    init() { pthread_mutex_init(lock, nil) }
    deinit { lock.deallocate() }

    var delays: [UInt64] { locked { _delays } }
    var delaysInSeconds: [UInt64] { delays.map { $0 / 1_000_000_000 } }
    var states: [ReconnectingSource.State] { locked { _states } }

    var sleeper: ReconnectingSource.Sleeper {
        { [self] nanos, _ in
            let count = locked { _delays.append(nanos); return _delays.count }
            onSleep(count)
        }
    }

    var stateHandler: @Sendable (ReconnectingSource.State) -> Void {
        { [self] state in locked { _states.append(state) } }
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }
}

/// A source that cannot open for a reason retrying will not fix.
private final class UnsupportedSource: FrameSource {
    let description = "unsupported"
    let stats = SourceStats()
    func open() throws { throw CaptureError.unsupported(path: "/dev/video0", reason: "no usable pixel format") }
    func next() throws -> CapturedFrame? { nil }
    func close() {}
}

private func reconnecting(_ fake: FakeV4L2Device, _ recorder: Recorder,
                          _ configuration: V4L2Configuration = V4L2Configuration()) -> ReconnectingSource {
    ReconnectingSource(description: "v4l2:/dev/video0", sleep: recorder.sleeper, onStateChange: recorder.stateHandler) {
        makeSource(fake, configuration)
    }
}

private let lost = CaptureError.deviceLost(path: "/dev/video0", reason: "VIDIOC_DQBUF: No such device")

@Suite struct ReconnectingSourceTests {
    @Test func unplugReportsOfflineBacksOffAndResumesWithGaplessSeq() throws {
        let fake = FakeV4L2Device()
        let recorder = Recorder()
        // The camera stays away for two attempts and is back before the third.
        recorder.onSleep = { count in
            if count == 3 {
                fake.replug()
                fake.enqueue([.frame(fakeJPEG(4)), .frame(fakeJPEG(5))])
            }
        }
        let source = reconnecting(fake, recorder)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1)), .frame(fakeJPEG(2)), .frame(fakeJPEG(3)), .unplug])

        var frames: [CapturedFrame] = []
        for _ in 1...5 { frames.append(try #require(try source.next())) }

        #expect(frames.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(frames.map(\.payload) == (1...5).map { .jpeg(fakeJPEG(UInt8($0))) })
        #expect(recorder.delaysInSeconds == [1, 2, 4])
        #expect(recorder.states == [.online, .offline(lost), .online])
        #expect(source.reconnections == 1)
        #expect(source.stats.frames == 5)
        // The failed attempts found no node; the lost source was closed before reopening.
        #expect(fake.calls.filter { $0 == .open("/dev/video0") }.count == 2)
        #expect(fake.calls.filter { $0 == .resolve("/dev/video0") }.count == 4)
        #expect(frames[3].pts > frames[2].pts)
    }

    @Test func backoffStartsOverAfterAReopenedSourceDelivers() throws {
        let fake = FakeV4L2Device()
        let recorder = Recorder()
        recorder.onSleep = { count in
            if count == 2 {
                fake.replug()
                fake.enqueue([.frame(fakeJPEG(2)), .unplug])
            }
            if count == 3 {
                fake.replug()
                fake.enqueue([.frame(fakeJPEG(3))])
            }
        }
        let source = reconnecting(fake, recorder)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1)), .unplug])
        let seqs = try (1...3).map { _ in try #require(try source.next()).seq }
        #expect(seqs == [1, 2, 3])
        #expect(recorder.delaysInSeconds == [1, 2, 1])
        #expect(recorder.states == [.online, .offline(lost), .online, .offline(lost), .online])
    }

    @Test func stallIsReportedAndTheCameraReopened() throws {
        let fake = FakeV4L2Device()
        let recorder = Recorder()
        recorder.onSleep = { _ in fake.enqueue([.frame(fakeJPEG(2))]) }
        let source = reconnecting(fake, recorder, V4L2Configuration(deviceTimeout: .seconds(3)))
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1))])
        #expect(try source.next()?.seq == 1)
        let frame = try #require(try source.next())
        #expect(frame.seq == 2)
        #expect(frame.payload == .jpeg(fakeJPEG(2)))
        #expect(recorder.states == [.online, .offline(.stalled(path: "/dev/video0", seconds: 3)), .online])
        #expect(recorder.delaysInSeconds == [1])
        #expect(fake.requests.filter { $0 == .streamOff }.count == 1)
    }

    @Test func delaysDoubleUpToSixtySecondsUntilCancelled() throws {
        let recorder = Recorder()
        var source: ReconnectingSource!
        recorder.onSleep = { count in if count == 9 { source.cancel() } }
        source = ReconnectingSource(description: "absent", sleep: recorder.sleeper,
                                    onStateChange: recorder.stateHandler) {
            throw CaptureError.cannotOpen(path: "/dev/video0", reason: "no such device")
        }
        try source.open()
        #expect(try source.next() == nil)
        #expect(recorder.delaysInSeconds == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        #expect(recorder.states == [.offline(.cannotOpen(path: "/dev/video0", reason: "no such device"))])
    }

    @Test func cameraAbsentAtStartIsWaitedFor() throws {
        let fake = FakeV4L2Device()
        fake.nodes = []
        let recorder = Recorder()
        recorder.onSleep = { _ in
            fake.nodes = ["/dev/video0"]
            fake.enqueue([.frame(fakeJPEG(1))])
        }
        let source = reconnecting(fake, recorder)
        try source.open()
        let frame = try #require(try source.next())
        #expect(frame.seq == 1)
        #expect(recorder.states == [
            .offline(.cannotOpen(path: "/dev/video0", reason: "no such device (is the camera plugged in?)")),
            .online,
        ])
    }

    @Test func permanentErrorsAreThrownNotRetried() throws {
        let recorder = Recorder()
        let source = ReconnectingSource(description: "x", sleep: recorder.sleeper) { UnsupportedSource() }
        #expect(throws: CaptureError.unsupported(path: "/dev/video0", reason: "no usable pixel format")) {
            try source.open()
        }
        #expect(recorder.delays.isEmpty)
    }

    @Test func cancelInterruptsTheInnerCamera() throws {
        let fake = FakeV4L2Device()
        let recorder = Recorder()
        let source = reconnecting(fake, recorder)
        try source.open()
        fake.enqueue([.frame(fakeJPEG(1))])
        source.cancel()
        #expect(try source.next() == nil)
        #expect(recorder.delays.isEmpty)
        source.close()
        #expect(!fake.isOpen)
    }

    @Test func cancelFromAnotherThreadEndsARealBackoffSleep() throws {
        let source = ReconnectingSource(description: "absent", initialDelay: .seconds(60)) {
            throw CaptureError.cannotOpen(path: "/dev/video0", reason: "no such device")
        }
        try source.open()
        let canceller = Thread { usleep(50_000); source.cancel() }
        #expect(try source.next() == nil)
        canceller.join()
        #expect(source.isCancelled)
    }
}

/// A camera whose open blocks (no answer, a dripping handshake) until interrupted or 30 s pass.
private final class HangingOpenSource: InterruptibleSource, @unchecked Sendable {
    let description = "hanging"
    var stats = SourceStats()
    private let gate = DispatchSemaphore(value: 0)
    private(set) var ended: String?
    func open() throws {
        let interrupted = gate.wait(timeout: .now() + 30) == .success
        ended = interrupted ? "interrupted" : "timed out"
        throw CaptureError.deviceLost(path: "hanging", reason: ended!)
    }
    func next() throws -> CapturedFrame? { nil }
    func close() {}
    func interrupt() { gate.signal() }
}

extension ReconnectingSourceTests {
    /// A stop while the camera is being opened interrupts that open (the attack run: SIGTERM waited for the open's
    /// deadline, 27 s with `device_timeout: 30`, past systemd's stop timeout).
    @Test func cancelInterruptsAnOpenInProgress() throws {
        let hanging = HangingOpenSource()
        let source = ReconnectingSource(description: "x") { hanging }
        let canceller = Thread { usleep(100_000); source.cancel() }
        try source.open()  // the open failed (offline): not thrown
        canceller.join()
        #expect(hanging.ended == "interrupted")
        #expect(try source.next() == nil)
    }
}

/// A joinable pthread, enough for one cross-thread test.
private final class Thread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&handle, nil, { context in
            let thread = Unmanaged<Thread>.fromOpaque(context!).takeRetainedValue()
            thread.body()
            return nil
        }, context)
    }

    func join() { pthread_join(handle, nil) }
}
