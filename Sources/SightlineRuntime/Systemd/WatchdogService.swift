import Logging
import ServiceLifecycle

/// Pings the systemd watchdog at half its period while every pipeline's processing side is alive.
///
/// A pipeline whose processing thread is wedged (no progress while frames are queued) stops the
/// pings, so systemd restarts the daemon; a camera that is merely offline does not.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let isHealthy: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        logger.info("systemd watchdog enabled", metadata: ["ping_every": "\(interval)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if isHealthy() {
                notifier.notify("WATCHDOG=1")
            } else {
                logger.error("a pipeline made no progress: withholding the watchdog ping")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
