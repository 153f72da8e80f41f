import SightlineConfig

extension DaemonConfiguration {
    /// The settings that differ from `running` but cannot change while the daemon runs, as the keys an
    /// operator wrote (`state_dir`, `metrics`, `collector`, …); empty when a reload can apply `self`.
    ///
    /// What a reload applies: everything under `cameras` (added, removed, disabled, any setting) and the
    /// event rules (`events.max_per_minute`, each camera's `events`). What needs a restart: the state
    /// directory (the device key and the spool live there), the log level (loggers are made at start),
    /// the metrics listener, turning signed events on or off, the event log's checkpoint and retention
    /// settings, the collector (the forwarder keeps delivering what is queued without interruption) and `mqtt`.
    func changesNeedingRestart(from running: DaemonConfiguration) -> [String] {
        var changes: [String] = []
        if stateDirectory != running.stateDirectory { changes.append("state_dir") }
        if logLevel != running.logLevel { changes.append("log_level") }
        if metrics != running.metrics { changes.append("metrics") }
        switch (running.events, events) {
        case (nil, nil):
            break
        case (nil, _?):
            changes.append("events (turning signed events on)")
        case (_?, nil):
            changes.append("events (turning signed events off)")
        case (let old?, var new?):
            new.log.stateDirectory = old.log.stateDirectory  // `state_dir`, reported above
            if old.log != new.log {
                changes.append("events (checkpoint_every, checkpoint_seconds, retention_days, disk_budget_mb)")
            }
            if old.collector != new.collector { changes.append("collector") }
        }
        // The broker and topics are set at start; the cameras follow a reload (`MQTTPublisher.update(cameras:)`).
        if mqtt != running.mqtt { changes.append("mqtt") }
        return changes
    }
}
