import EventLog
import Forwarder
import SightlineCore
import Yams

extension ConfigReader {
    /// Keys of `events:`.
    static let eventsKeys = [
        "enabled", "checkpoint_every", "checkpoint_seconds", "retention_days", "disk_budget_mb", "max_per_minute",
    ]
    /// Keys of `collector:`.
    static let collectorKeys = ["url", "pin", "batch", "timeout", "max_backoff"]
    /// Keys of a camera's `events:`.
    static let cameraEventsKeys = ["types", "max_per_minute"]

    /// Reads `events:` (and `collector:`, which needs it); nil when events are off.
    mutating func readEvents(_ fields: MappingFields, stateDirectory: String) -> EventsConfiguration? {
        guard let node = fields["events"] else {
            if fields["collector"] != nil {
                report(fields, "collector", "needs an 'events:' section: only signed events are forwarded")
            }
            return nil
        }
        guard let events = self.fields(of: node, path: fields.path("events"), known: Self.eventsKeys) else {
            return nil
        }
        let defaults = EventLogConfiguration()
        let every = integer(events, "checkpoint_every", in: 1...1_000_000, "an integer from 1 to 1000000")
        let seconds = positiveNumber(events, "checkpoint_seconds", atMost: 86400)
        let days = positiveNumber(events, "retention_days", atMost: 3650)
        let budget = integer(events, "disk_budget_mb", in: 1...16_777_216, "a size in MB from 1 to 16777216")
        let rate = integer(events, "max_per_minute", in: 1...60000, "an integer from 1 to 60000")
        let log = EventLogConfiguration(
            stateDirectory: stateDirectory, checkpointEvery: every ?? defaults.checkpointEvery,
            checkpointIntervalSeconds: seconds ?? defaults.checkpointIntervalSeconds,
            retentionSeconds: days.map { $0 * 86400 } ?? defaults.retentionSeconds,
            diskBudgetBytes: budget.map { Int64($0) << 20 } ?? defaults.diskBudgetBytes)
        var configuration = EventsConfiguration(log: log)
        if let rate { configuration.maxPerMinute = rate }
        if let collector = fields["collector"] {
            configuration.collector = readCollector(collector, path: fields.path("collector"))
        }
        guard flag(events, "enabled") ?? true else { return nil }
        return configuration
    }

    /// Reads `collector:`; nil when its url is missing or wrong.
    mutating func readCollector(_ node: Node, path: String) -> ForwarderConfiguration? {
        guard let fields = fields(of: node, path: path, known: Self.collectorKeys) else { return nil }
        require(fields, "url", " (such as https://collector.example:8470)")
        let url = text(fields, "url")
        let pin = text(fields, "pin")
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            report(fields, "url", "must start with https:// (or http:// for loopback tests), got '\(url)'")
        } else if let url, url.hasPrefix("http://"), !Self.isLoopbackURL(url) {
            report(
                fields, "url",
                "plain http:// is allowed only for a collector on this machine (127.0.0.1, ::1, localhost), got '\(url)':"
                    + " use https:// with pin:")
        } else if let url, url.hasPrefix("https://"), pin == nil {
            report(
                fields, "url",
                "an https:// collector needs pin: (the absolute path of its PEM certificate, or of the CA certificate "
                    + "that issued it)")
        }
        if let pin, !pin.hasPrefix("/") {
            report(fields, "pin", "must be the absolute path of the collector's PEM certificate, got '\(pin)'")
        }
        let batch = integer(fields, "batch", in: 1...10000, "an integer from 1 to 10000")
        let timeout = positiveNumber(fields, "timeout", atMost: 600)
        let backoff = positiveNumber(fields, "max_backoff", atMost: 3600)
        guard let url, url.hasPrefix("http") else { return nil }
        let defaults = ForwarderConfiguration(collectorURL: url)
        return ForwarderConfiguration(
            collectorURL: url, batchSize: batch ?? defaults.batchSize,
            maxBackoffSeconds: backoff ?? defaults.maxBackoffSeconds,
            requestTimeoutSeconds: timeout ?? defaults.requestTimeoutSeconds, pinnedCertificatePath: pin)
    }

    /// Whether an http(s) URL's host is loopback: `localhost`, 127.0.0.0/8 or `[::1]`.
    static func isLoopbackURL(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        var authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        if host.lowercased() == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Reports entry `index` of `fields.types` as not one of `known`, with the closest as a suggestion.
    mutating func reportUnknownType(_ entry: Node, index: Int, in fields: MappingFields, known: [String]) {
        var message = "must be one of " + known.joined(separator: ", ") + ", got \(Self.describe(entry))"
        if case .scalar(let scalar) = entry, let guess = Suggestion.closest(to: scalar.string, among: known) {
            message += "; did you mean '\(guess)'?"
        }
        report("\(fields.path("types"))[\(index)]", at: entry.mark, message)
    }

    /// Reads a camera's `events:`.
    mutating func readCameraEvents(_ node: Node, path: String) -> CameraEventsConfiguration {
        var configuration = CameraEventsConfiguration()
        guard let fields = fields(of: node, path: path, known: Self.cameraEventsKeys) else { return configuration }
        configuration.maxPerMinute = integer(fields, "max_per_minute", in: 1...60000, "an integer from 1 to 60000")
        guard let list = fields["types"] else { return configuration }
        guard case .sequence(let entries) = list else {
            report(fields, "types", "must be a list of event types, got \(Self.describe(list))")
            return configuration
        }
        var types = Set<DetectionType>()
        for (index, entry) in entries.enumerated() {
            let known = EventsConfiguration.knownTypes
            if case .scalar(let scalar) = entry, let type = DetectionType(rawValue: scalar.string),
               type.isCameraDetection {
                types.insert(type)
                continue
            }
            reportUnknownType(entry, index: index, in: fields, known: known)
        }
        configuration.types = types
        return configuration
    }
}
