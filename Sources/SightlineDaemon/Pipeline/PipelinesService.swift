import Logging
import ServiceLifecycle
import SightlineCore

/// Runs every camera pipeline as its own child task and returns when all have ended.
///
/// Live cameras never end on their own (they reconnect), so in production this runs until
/// shutdown; with finite footage the daemon shuts down once every file is played.
final class PipelinesService: Service, @unchecked Sendable {
    let pipelines: [CameraPipeline]
    private let notifier: SystemdNotifier
    private let logger: Logger

    init(pipelines: [CameraPipeline], notifier: SystemdNotifier, logger: Logger) {
        self.pipelines = pipelines
        self.notifier = notifier
        self.logger = logger
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for pipeline in pipelines {
                    group.addTask { await pipeline.run() }
                }
                notifier.notify("READY=1\nSTATUS=processing \(pipelines.count) camera(s)")
                logger.info("ready", metadata: ["cameras": "\(pipelines.map(\.settings.camera))"])
                await group.waitForAll()
            }
        } onGracefulShutdown: { [pipelines, notifier, logger] in
            notifier.notify("STOPPING=1")
            logger.info("stopping pipelines")
            for pipeline in pipelines { pipeline.stop() }
        }
        logger.info("all pipelines ended")
    }

    /// True while every processing side keeps up or is idle (see `CameraPipeline.isProcessingAlive`).
    var isHealthy: Bool { pipelines.allSatisfy { $0.isProcessingAlive } }
}
