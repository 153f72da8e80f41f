/// Settings of the edge event log (the `events:` section of the daemon's configuration).
public struct EventLogConfiguration: Sendable, Equatable {
    /// Directory holding `device.key` and `events.sqlite`.
    public var stateDirectory: String
    /// A checkpoint is signed after this many events since the last one...
    public var checkpointEvery: Int
    /// ...or when this many seconds have passed and at least one event was emitted since.
    public var checkpointIntervalSeconds: Double
    /// Delivered events and blobs are purged this many seconds after the collector acknowledged them.
    public var retentionSeconds: Double
    /// Upper bound for spooled bytes (event lines + blob bytes). Evidence is dropped first to stay
    /// under it; events never are — an over-budget spool raises an alarm instead.
    public var diskBudgetBytes: Int64

    public init(
        stateDirectory: String = "/var/lib/sightline", checkpointEvery: Int = 1000,
        checkpointIntervalSeconds: Double = 300, retentionSeconds: Double = 7 * 86400,
        diskBudgetBytes: Int64 = 1 << 30
    ) {
        precondition(checkpointEvery >= 1, "checkpointEvery must be at least 1")
        self.stateDirectory = stateDirectory
        self.checkpointEvery = checkpointEvery
        self.checkpointIntervalSeconds = checkpointIntervalSeconds
        self.retentionSeconds = retentionSeconds
        self.diskBudgetBytes = diskBudgetBytes
    }
}
