import ServiceLifecycle

// swift-service-lifecycle logs each service at debug level by its description. Swift's default description of a
// struct dumps every stored property — here the whole configuration, gallery paths and key objects included — so
// each service names itself instead.

extension ConfigReloader: CustomStringConvertible {
    var description: String { "ConfigReloader" }
}

extension EventLogService: CustomStringConvertible {
    var description: String { "EventLogService" }
}

extension ForwarderService: CustomStringConvertible {
    var description: String { "ForwarderService" }
}

extension MQTTService: CustomStringConvertible {
    var description: String { "MQTTService" }
}

extension WatchdogService: CustomStringConvertible {
    var description: String { "WatchdogService" }
}

extension PipelinesService: CustomStringConvertible {
    var description: String { "PipelinesService" }
}

extension MetricsServer: CustomStringConvertible {
    var description: String { "MetricsServer" }
}
