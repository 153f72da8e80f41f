import Logging
import Metrics
import ServiceLifecycle
import SightlineConfig
import UnixSignals

/// Reloads the configuration file on SIGHUP (`systemctl reload sightlined`).
///
/// Each SIGHUP re-reads and validates the file. A file with errors, or one that changes a setting that
/// needs a restart (see `DaemonConfiguration.changesNeedingRestart`), or whose cameras cannot be built
/// (a missing model, an unreadable gallery) is refused: the errors are logged, with their lines, and
/// the daemon keeps running the configuration it had. Otherwise the new pipelines are built first, then
/// swapped in for the old ones by `PipelinesService.replace`. The event log, its spool and the forwarder
/// are not touched: events already emitted stay queued for delivery, and the hash chain goes on.
///
/// systemd is told `RELOADING=1` (with `MONOTONIC_USEC`) when a reload starts and `READY=1` when it
/// ends, applied or not. Outcomes are counted in `sightline_config_reloads_total{result}`.
struct ConfigReloader: Service {
    let path: String
    /// The configuration the daemon started with.
    let initial: DaemonConfiguration
    /// Command-line overrides, applied to every reloaded file as they were to the first.
    let adjust: @Sendable (inout DaemonConfiguration) -> Void
    let builder: PipelineBuilder
    let pipelines: PipelinesService
    let signals: UnixSignalsSequence
    let notifier: SystemdNotifier
    let logger: Logger

    /// How one SIGHUP ended.
    enum Outcome: String {
        case applied, unchanged, invalid
        case restartRequired = "restart_required"
        case buildFailed = "build_failed"
        case shuttingDown = "shutting_down"
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            var running = initial
            for await _ in signals {
                let (outcome, configuration) = await reload(running: running)
                Counter(label: "sightline_config_reloads_total", dimensions: [("result", outcome.rawValue)]).increment()
                running = configuration
                let cameras = running.cameras.filter(\.enabled).count
                notifier.notify("READY=1\nSTATUS=processing \(cameras) camera(s); last reload: \(outcome.rawValue)")
            }
        }
    }

    /// One reload: the configuration that runs afterwards, and how it went.
    func reload(running: DaemonConfiguration) async -> (Outcome, DaemonConfiguration) {
        notifier.notifyReloading(status: "reloading \(path)")
        logger.notice("SIGHUP: reloading the configuration", metadata: ["file": "\(path)"])
        var candidate: DaemonConfiguration
        do {
            candidate = try ConfigLoader.load(path: path)
        } catch {
            for issue in error.issues {
                logger.error("reload refused, the running configuration stays: \(issue)")
            }
            return (.invalid, running)
        }
        adjust(&candidate)
        let blocked = candidate.changesNeedingRestart(from: running)
        guard blocked.isEmpty else {
            let changed = blocked.joined(separator: ", ")
            logger.error("reload refused, the running configuration stays: a restart is needed to change \(changed)")
            return (.restartRequired, running)
        }
        guard candidate != running else {
            logger.notice("configuration unchanged")
            return (.unchanged, running)
        }
        let generation: PipelineBuilder.Generation
        do {
            generation = try builder.build(candidate)
        } catch {
            logger.error("reload refused, the running configuration stays: \(error)")
            return (.buildFailed, running)
        }
        let sink = builder.events?.sink
        let rules = generation.rules
        let started = await pipelines.replace(with: generation.pipelines) {
            // The old pipelines have ended: crossings still waiting for evidence are emitted without it,
            // as at shutdown, before the new cameras' rules apply.
            sink?.flush()
            if let rules { sink?.apply(rules) }
        }
        guard started else {
            logger.notice("reload not applied: the daemon is stopping")
            return (.shuttingDown, running)
        }
        for section in candidate.reservedSections {
            logger.notice("configuration section not handled by this build: ignored",
                          metadata: ["section": "\(section)"])
        }
        builder.events?.publisher?.update(cameras: generation.cameras)
        logger.notice("configuration reloaded", metadata: ["cameras": "\(generation.cameras)"])
        return (.applied, candidate)
    }
}
