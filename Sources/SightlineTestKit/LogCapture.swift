import Logging
import Synchronization

/// Collects every log line (level, message and metadata, rendered) at every level: for tests that check what
/// a library tells the operator.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// Every line so far, as `LEVEL MESSAGE key=value…` (metadata sorted by key).
    public var all: [String] { lines.withLock { $0 } }

    /// A logger at `.trace` whose lines land here.
    public func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }
}

/// The `LogHandler` behind `LogCapture.logger`.
public struct CapturingLogHandler: LogHandler {
    public let capture: LogCapture
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]

    public init(capture: LogCapture) {
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        capture.append("\(event.level) \(event.message) \(fields)")
    }
}
