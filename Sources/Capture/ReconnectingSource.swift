import Logging
import SightlineCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A source whose blocking `next()` can be asked, from another thread, to return nil soon.
public protocol InterruptibleSource: FrameSource {
    /// Makes a blocked or later `next()` return nil promptly. Thread-safe.
    func interrupt()
}

/// Keeps a live source going across unplugs and stalls: reopens it with exponential backoff
/// while `next()` keeps blocking, and reports each outage through `onStateChange`.
///
/// On a transient `CaptureError` (`deviceLost`, `stalled`, `cannotOpen`, `system`) the inner
/// source is closed, `.offline(reason)` is reported, and a fresh source from `factory` is
/// opened after `initialDelay`, then after twice that, up to `maximumDelay`, until one opens
/// (`.online`). The delay starts over once a reopened source delivers a frame. Other errors
/// (`unsupported`, `badFormat`) are thrown to the caller: retrying would not help.
///
/// Frames keep one gapless `seq` across reopenings, and `pts` counts from the first frame ever
/// delivered. `open`, `next` and `close` belong to one capture thread; `cancel()` may come from
/// any and makes `next()` return nil within a poll interval or a sleep slice.
public final class ReconnectingSource: InterruptibleSource, @unchecked Sendable {
    /// Whether frames are flowing.
    public enum State: Sendable, Equatable {
        case online
        case offline(CaptureError)
    }

    /// Waits `nanoseconds`, returning early once `isCancelled()` turns true.
    public typealias Sleeper = @Sendable (_ nanoseconds: UInt64, _ isCancelled: () -> Bool) -> Void

    public let description: String
    public let initialDelay: Duration
    public let maximumDelay: Duration
    /// Successful reopenings after an outage.
    public private(set) var reconnections = 0

    private let factory: () throws -> any FrameSource
    private let onStateChange: @Sendable (State) -> Void
    private let sleep: Sleeper
    private var logger: Logger

    private let cancelled = Atomic<Bool>(false)
    /// Guards `inner`, which `cancel()` reads from another thread.
    private let innerLock = Mutex<Void>(())
    private var inner: (any FrameSource)?
    /// A source being opened (guarded by `innerLock`): `cancel()` interrupts it too, so a stop does not wait for
    /// an open's deadline (an unanswering camera, a dripping TLS handshake).
    private var opening: (any FrameSource)?
    private var isOpen = false
    private var nextDelay: Duration
    private var mustResetDelay = false
    private var seq: UInt64 = 0
    private var firstFrameNanos: UInt64?
    private var closedStats = SourceStats()

    /// - Parameters:
    ///   - factory: makes a new, unopened source each time (e.g. `{ V4L2Source(path: …) }`).
    ///   - sleep: waits between attempts; tests record the delays instead of sleeping.
    ///   - onStateChange: called on the capture thread when the source goes offline or online.
    public init(description: String, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(60),
                logger: Logger = Logger(label: "sightline.capture.reconnect"),
                sleep: @escaping Sleeper = ReconnectingSource.sleepInSlices,
                onStateChange: @escaping @Sendable (State) -> Void = { _ in },
                factory: @escaping () throws -> any FrameSource) {
        precondition(initialDelay > .zero && maximumDelay >= initialDelay, "backoff delays must be positive")
        self.description = description
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.nextDelay = initialDelay
        self.factory = factory
        self.onStateChange = onStateChange
        self.sleep = sleep
        self.logger = logger
        self.logger[metadataKey: "camera"] = "\(description)"
    }

    /// Counters summed over every inner source so far.
    public var stats: SourceStats {
        let live = currentSource()?.stats ?? SourceStats()
        var total = closedStats
        total.frames += live.frames
        total.corrupt += live.corrupt
        total.skippedBytes += live.skippedBytes
        total.lost += live.lost
        return total
    }

    /// Opens the first source. A transient failure is not thrown: it is reported as offline and
    /// `next()` keeps retrying, so a daemon can start before its camera is plugged in.
    public func open() throws {
        guard !isOpen else { return }
        isOpen = true
        cancelled.store(false, ordering: .relaxed)
        do {
            try install(try factory())
            onStateChange(.online)
        } catch let error as CaptureError where error.isTransient {
            goOffline(error)
        }
    }

    /// The next frame, reconnecting as often as needed. Nil after `cancel()`, or when the
    /// inner source itself ends (a finite source).
    public func next() throws -> CapturedFrame? {
        precondition(isOpen, "next() before open()")
        while !isCancelled {
            guard let source = currentSource() else {
                try reconnect()
                continue
            }
            do {
                guard var frame = try source.next() else { return nil }
                seq += 1
                let first = firstFrameNanos ?? frame.monotonicNanos
                firstFrameNanos = first
                frame.seq = seq
                frame.pts = frame.monotonicNanos > first ? Double(frame.monotonicNanos - first) / 1e9 : 0
                if mustResetDelay {
                    mustResetDelay = false
                    nextDelay = initialDelay
                }
                return frame
            } catch let error as CaptureError where error.isTransient {
                goOffline(error)
            }
        }
        return nil
    }

    /// Stops reconnecting and interrupts a blocked `next()`. Thread-safe.
    public func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        let sources = innerLock.withLock { _ in [inner, opening] }
        for case let interruptible as InterruptibleSource in sources { interruptible.interrupt() }
    }

    public func interrupt() { cancel() }

    public var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }

    /// Closes the inner source. Safe to call more than once.
    public func close() {
        releaseCurrent()
        isOpen = false
    }

    private func install(_ source: any FrameSource) throws {
        innerLock.withLock { _ in opening = source }
        defer { innerLock.withLock { _ in opening = nil } }
        do {
            // A cancel that came first: not opened at all (one that comes during the open interrupts it).
            if isCancelled { throw CaptureError.deviceLost(path: description, reason: "interrupted") }
            try source.open()
        } catch {
            source.close()
            throw error
        }
        setCurrentSource(source)
        if isCancelled, let interruptible = source as? InterruptibleSource { interruptible.interrupt() }
    }

    private func releaseCurrent() {
        guard let source = currentSource() else { return }
        setCurrentSource(nil)
        source.close()
        let s = source.stats
        closedStats.frames += s.frames
        closedStats.corrupt += s.corrupt
        closedStats.skippedBytes += s.skippedBytes
        closedStats.lost += s.lost
    }

    private func currentSource() -> (any FrameSource)? {
        innerLock.withLock { _ in inner }
    }

    private func setCurrentSource(_ source: (any FrameSource)?) {
        innerLock.withLock { _ in inner = source }
    }

    private func goOffline(_ error: CaptureError) {
        releaseCurrent()
        logger.warning("offline: \(error); retrying in \(nextDelay)")
        onStateChange(.offline(error))
    }

    /// Sleeps and reopens until a source opens, the caller cancels, or a permanent error occurs.
    private func reconnect() throws {
        while !isCancelled {
            let delay = nextDelay
            sleep(delay.v4l2Nanoseconds, { self.isCancelled })
            if isCancelled { return }
            nextDelay = min(delay * 2, maximumDelay)
            do {
                try install(try factory())
            } catch let error as CaptureError where error.isTransient {
                logger.info("still offline: \(error); next attempt in \(nextDelay)")
                continue
            }
            reconnections += 1
            mustResetDelay = true
            logger.notice("back online")
            onStateChange(.online)
            return
        }
    }

    /// The default sleeper: `nanosleep` in slices of at most 100 ms, checking for cancellation.
    public static let sleepInSlices: Sleeper = { nanoseconds, isCancelled in
        var remaining = nanoseconds
        while remaining > 0, !isCancelled() {
            let slice = min(remaining, 100_000_000)
            var request = timespec(tv_sec: 0, tv_nsec: Int(slice))
            nanosleep(&request, nil)
            remaining -= slice
        }
    }
}
