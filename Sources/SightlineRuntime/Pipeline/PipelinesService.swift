import Foundation
import Logging
import ServiceLifecycle
import SightlineCore
import Synchronization

/// Runs every camera pipeline as its own child task and returns when all have ended; a configuration
/// reload replaces the whole set (one *generation*) with another while the service keeps running.
///
/// Live cameras never end on their own (they reconnect), so in production this runs until
/// shutdown; with finite footage the daemon shuts down once every file is played.
///
/// Between two generations the old pipelines are stopped the way shutdown stops them (frames still
/// queued are discarded and counted as dropped, see `CameraPipeline.stop()`), and both of each
/// pipeline's threads have ended before the new ones start, so a camera is never opened twice.
final class PipelinesService: Service, Sendable {
    /// One pipeline as it ran, for the run summary.
    struct Run: Sendable {
        let pipeline: CameraPipeline
        /// 1 for the pipelines of the starting configuration, +1 for each reload applied.
        let generation: Int
        let startedNanos: UInt64
        var endedNanos: UInt64?
    }

    private struct Pending: Sendable {
        var pipelines: [CameraPipeline]
        var beforeStart: @Sendable () -> Void
        var started: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var current: [CameraPipeline]
        var generation = 0
        var pending: Pending?
        var shuttingDown = false
        var finished = false
        var history: [Run] = []
    }

    private let notifier: SystemdNotifier
    private let logger: Logger
    private let state: Mutex<State>

    init(pipelines: [CameraPipeline], notifier: SystemdNotifier, logger: Logger) {
        state = Mutex(State(current: pipelines))
        self.notifier = notifier
        self.logger = logger
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            var next: [CameraPipeline]? = state.withLock { $0.current }
            while let pipelines = next {
                let (number, started) = state.withLock { state -> (Int, CheckedContinuation<Bool, Never>?) in
                    state.generation += 1
                    let now = Clocks.monotonicNanos()
                    let generation = state.generation
                    state.history += pipelines.map { Run(pipeline: $0, generation: generation, startedNanos: now) }
                    defer { state.pending = nil }
                    return (generation, state.pending?.started)
                }
                await withTaskGroup(of: Void.self) { group in
                    for pipeline in pipelines {
                        group.addTask { await pipeline.run() }
                    }
                    if number == 1 {
                        notifier.notify("READY=1\nSTATUS=processing \(pipelines.count) camera(s)")
                        logger.info("ready", metadata: ["cameras": "\(pipelines.map(\.settings.camera))"])
                    }
                    started?.resume(returning: true)
                    await group.waitForAll()
                }
                let replacement = state.withLock { state in
                    let now = Clocks.monotonicNanos()
                    for index in state.history.indices where state.history[index].generation == number {
                        state.history[index].endedNanos = now
                    }
                    return state.shuttingDown ? nil : state.pending
                }
                // Outside the lock: it may write events. If shutdown begins meanwhile, nothing new starts.
                replacement?.beforeStart()
                next = state.withLock { state in
                    guard let replacement, !state.shuttingDown else {
                        state.finished = true
                        return nil
                    }
                    state.current = replacement.pipelines
                    return replacement.pipelines
                }
            }
        } onGracefulShutdown: { [self] in
            notifier.notify("STOPPING=1")
            logger.info("stopping pipelines")
            let (running, waiting) = state.withLock { state in
                state.shuttingDown = true
                defer { state.pending = nil }
                return (state.current, state.pending)
            }
            waiting?.started.resume(returning: false)
            for pipeline in running { pipeline.stop() }
        }
        logger.info("all pipelines ended")
    }

    /// Stops the running pipelines and starts `pipelines` in their place, calling `beforeStart` in
    /// between (when no pipeline of either set runs). Returns once the new ones are started: true, or
    /// false when the daemon is shutting down or every pipeline has already ended (finite footage).
    func replace(with pipelines: [CameraPipeline], beforeStart: @escaping @Sendable () -> Void) async -> Bool {
        await withCheckedContinuation { (started: CheckedContinuation<Bool, Never>) in
            let running: [CameraPipeline]? = state.withLock { state in
                guard !state.shuttingDown, !state.finished, state.pending == nil else { return nil }
                state.pending = Pending(pipelines: pipelines, beforeStart: beforeStart, started: started)
                return state.current
            }
            guard let running else {
                started.resume(returning: false)
                return
            }
            for pipeline in running { pipeline.stop() }
        }
    }

    /// True while every processing side keeps up or is idle (see `CameraPipeline.isProcessingAlive`).
    var isHealthy: Bool { state.withLock { $0.current }.allSatisfy { $0.isProcessingAlive } }

    /// Every pipeline that ran, in the order started.
    var runs: [Run] { state.withLock { $0.history } }

    /// The cameras of the last configuration whose capture failed for good, when the daemon was not asked to
    /// stop: their pipelines ended on their own, so the daemon must not exit as if its footage had ended.
    var failedCameras: [(camera: String, failure: CameraPipeline.CaptureFailure)] {
        state.withLock { state in
            guard !state.shuttingDown else { return [] }
            return state.current.compactMap { pipeline in pipeline.failure.map { (pipeline.settings.camera, $0) } }
        }
    }
}
