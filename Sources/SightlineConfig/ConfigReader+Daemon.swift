import Yams

extension ConfigReader {
    /// Keys of the top level that this build reads.
    static let topLevelKeys = ["state_dir", "log_level", "metrics", "events", "collector", "mqtt", "cameras"]
    /// Top-level sections later builds fill (face gallery, traffic defaults).
    static let reservedTopLevelKeys = ["traffic", "faces"]
    /// Keys of `metrics:`.
    static let metricsKeys = ["enabled", "listen", "allow_remote"]

    /// Reads the whole document. Returns a configuration even when issues were reported (with
    /// defaults where values were wrong); the loader throws if `issues` is not empty.
    mutating func readDaemon(_ root: Node?) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        guard let root else {
            report("", line: 1, column: 1, "the file is empty; it needs at least a 'cameras:' list")
            return configuration
        }
        let known = Self.topLevelKeys + Self.reservedTopLevelKeys
        guard let fields = fields(of: root, path: "", known: known, extensions: true) else {
            return configuration
        }
        if let directory = text(fields, "state_dir") {
            if directory.hasPrefix("/") {
                configuration.stateDirectory = directory
            } else {
                report(fields, "state_dir", "must be an absolute path, got '\(directory)'")
            }
        }
        configuration.logLevel = choice(fields, "log_level", among: DaemonConfiguration.logLevels) ?? "info"
        if let metrics = fields["metrics"] {
            configuration.metrics = readMetrics(metrics, path: fields.path("metrics"))
        }
        configuration.events = readEvents(fields, stateDirectory: configuration.stateDirectory)
        configuration.mqtt = readMQTT(fields, hasEvents: configuration.events != nil)
        configuration.reservedSections = readReserved(fields, Self.reservedTopLevelKeys)
        guard let cameraList = fields["cameras"] else {
            require(fields, "cameras", "; list at least one camera")
            return configuration
        }
        let cameraPath = fields.path("cameras")
        guard case .sequence(let entries) = cameraList else {
            report(fields, "cameras",
                   "must be a list of cameras ('- id: …' entries), got \(Self.describe(cameraList))")
            return configuration
        }
        if entries.isEmpty {
            report(cameraPath, at: cameraList.mark, "must list at least one camera")
        }
        var firstLineOfID: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let path = "\(cameraPath)[\(index)]"
            let (id, camera) = readCamera(entry, path: path, reserved: &configuration.reservedSections)
            if let id {
                let idMark = entry.mapping?["id"]?.mark
                if let first = firstLineOfID[id] {
                    report("\(path).id", at: idMark, "duplicate camera id '\(id)' (first used on line \(first))")
                } else {
                    firstLineOfID[id] = idMark?.line ?? 0
                }
            }
            if let camera {
                configuration.cameras.append(camera)
            }
        }
        return configuration
    }

    /// Reads `metrics:`; wrong values leave the defaults in place.
    mutating func readMetrics(_ node: Node, path: String) -> MetricsConfiguration {
        var metrics = MetricsConfiguration()
        guard let fields = fields(of: node, path: path, known: Self.metricsKeys) else { return metrics }
        metrics.enabled = flag(fields, "enabled") ?? metrics.enabled
        metrics.allowRemote = flag(fields, "allow_remote") ?? metrics.allowRemote
        guard let listen = fields["listen"] else { return metrics }
        let expectation = "HOST:PORT (such as 127.0.0.1:9464 or [::1]:9464) or a port number"
        let address: Result<ListenAddress, ListenAddress.Problem>
        if listen.tag.rawValue == Tag.Name.int.rawValue, let port = listen.int {
            address = ListenAddress.validate(host: MetricsConfiguration.defaultHost, port: port)
        } else if case .scalar(let scalar) = listen, !Self.isNull(listen) {
            address = ListenAddress.parse(scalar.string)
        } else {
            report(fields, "listen", "must be \(expectation), got \(Self.describe(listen))")
            return metrics
        }
        switch address {
        case .success(let parsed):
            metrics.host = parsed.host
            metrics.port = parsed.port
            if !parsed.isLoopback && !metrics.allowRemote {
                report(fields, "listen", "'\(parsed.host)' is not a loopback address; metrics name your cameras, "
                    + "so serving them beyond this host needs 'allow_remote: true' in metrics")
            }
        case .failure(.notHostPort):
            report(fields, "listen", "must be \(expectation), got \(Self.describe(listen))")
        case .failure(let problem):
            report(fields, "listen", "\(problem), got \(Self.describe(listen))")
        }
        return metrics
    }

    /// Accepts each reserved section that is present and a mapping; returns their key paths.
    mutating func readReserved(_ fields: MappingFields, _ keys: [String]) -> [String] {
        var accepted: [String] = []
        for key in keys {
            guard let node = fields[key] else { continue }
            if case .mapping = node {
                accepted.append(fields.path(key))
            } else {
                report(fields, key, "must be a mapping of keys, got \(Self.describe(node)) "
                    + "(this build does not implement '\(key)' and ignores its contents)")
            }
        }
        return accepted
    }
}
