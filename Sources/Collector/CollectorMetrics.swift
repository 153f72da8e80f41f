import EventLog
import Prometheus

/// The collector's counters, in its own Prometheus registry (served at `/metrics`).
public final class CollectorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let stored: Counter
    private let duplicates: Counter
    private let refusals: [IngestError.Code: Counter]
    private let evidence: Counter
    private let shedCounter: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        stored = registry.makeCounter(descriptor: Self.name("events_stored", "Events verified and stored."))
        duplicates = registry.makeCounter(
            descriptor: Self.name("events_duplicate", "Resent events acknowledged without a second row."))
        evidence = registry.makeCounter(descriptor: Self.name("evidence_stored", "Evidence blobs stored."))
        shedCounter = registry.makeCounter(
            descriptor: Self.name(
                "requests_shed", "Requests answered 503 overloaded: the budget of bodies in memory was spent."))
        var r: [IngestError.Code: Counter] = [:]
        for code in RefusalCode.ingestRefusals {
            r[code] = registry.makeCounter(
                descriptor: Self.name("events_refused", "Refused submissions by code."),
                labels: [("code", code.rawValue)])
        }
        refusals = r
    }

    /// `sightline_collector_<name>_total`.
    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sightline", subsystem: "collector", metricName: name, unitName: "total",
            helpText: help)
    }

    func ingested(_ outcome: Ingest.Outcome) {
        (outcome == .stored ? stored : duplicates).increment()
    }

    func refused(_ code: IngestError.Code) { refusals[code]?.increment() }

    func evidenceStored() { evidence.increment() }

    func shed() { shedCounter.increment() }

    /// Prometheus text exposition.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
