// TEMPORARY: replaced by Configuration/ from the config branch.
public struct DaemonConfiguration: Sendable, Equatable {
    public var stateDirectory: String = "/var/lib/sightline"
    public var logLevel: String = "info"
    public var metrics = MetricsConfiguration()
    public var cameras: [CameraConfiguration] = []
    public var reservedSections: [String] = []
}
public struct MetricsConfiguration: Sendable, Equatable { public var enabled = true; public var host = "127.0.0.1"; public var port = 9464 }
public struct CameraConfiguration: Sendable, Equatable {
    public var id: String
    public var source: String
    public var width: Int?
    public var height: Int?
    public var fps: Double?
    public var processFPS: Double?
    public var processingWidth: Int = 640
    public var deviceTimeout: Double = 10
    public var queueDepth: Int = 4
    public var replay: ReplayMode = .realtime
    public var loop = false
    public var enabled = true
}
public enum ReplayMode: String, Sendable { case realtime, fast }
public struct ConfigError: Error, Sendable, CustomStringConvertible { public var file: String; public var description: String { file } }
public enum ConfigLoader {
    public static func load(path: String) throws -> DaemonConfiguration { throw ConfigError(file: path) }
}
