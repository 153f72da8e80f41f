import SightlineCore
import Yams

extension ConfigReader {
    /// Keys of `mqtt:`.
    static let mqttKeys = [
        "url", "insecure", "username", "password_file", "ca", "pin", "client_id", "topic_prefix", "qos", "protocol",
        "discovery", "discovery_prefix", "types", "crossing_on_seconds",
    ]

    /// Reads `mqtt:`; nil (after reporting) when it is absent or its URL is wrong. `hasEvents` tells whether the
    /// file turns events on: the publisher reads the event spool, so `mqtt:` without `events:` is an issue.
    mutating func readMQTT(_ fields: MappingFields, hasEvents: Bool) -> MQTTConfiguration? {
        guard let node = fields["mqtt"] else { return nil }
        guard let mqtt = self.fields(of: node, path: fields.path("mqtt"), known: Self.mqttKeys) else { return nil }
        if !hasEvents {
            report(fields, "mqtt", "needs an 'events:' section: only signed events are published")
        }
        require(mqtt, "url", " (such as mqtts://broker.example:8883)")
        let insecure = flag(mqtt, "insecure") ?? false
        let username = text(mqtt, "username")
        let passwordFile = absolutePath(mqtt, "password_file", "a file holding the broker password")
        let ca = absolutePath(mqtt, "ca", "the PEM certificate of the CA that issued the broker's certificate")
        let pin = absolutePath(mqtt, "pin", "the broker's PEM certificate")
        if ca != nil, pin != nil { report(mqtt, "pin", "give either ca: or pin:, not both") }
        if passwordFile != nil, username == nil {
            report(mqtt, "password_file", "needs username: (the broker checks the password of a user)")
        }
        let clientID = text(mqtt, "client_id")
        if let clientID, clientID.isEmpty || clientID.utf8.count > 128 || !clientID.allSatisfy(Self.isTopicSafe) {
            report(mqtt, "client_id", "must be 1 to 128 letters, digits, '-', '_' or '.', got '\(clientID)'")
        }
        let prefix = topicLevels(mqtt, "topic_prefix")
        let discoveryPrefix = topicLevels(mqtt, "discovery_prefix")
        let qos = integer(mqtt, "qos", in: 0...1, "0 or 1")
        let version = choice(mqtt, "protocol", among: ["3.1.1", "5"])
        let discovery = flag(mqtt, "discovery") ?? true
        let onSeconds = integer(mqtt, "crossing_on_seconds", in: 1...3600, "a number of seconds from 1 to 3600")
        let types = mqttTypes(mqtt)

        guard let url = text(mqtt, "url") else { return nil }
        guard let endpoint = Self.brokerEndpoint(url) else {
            report(mqtt, "url", "must be mqtts://HOST[:PORT] (or mqtt:// on this machine), got '\(url)'")
            return nil
        }
        if !endpoint.tls, !insecure, !Self.isLoopbackURL("http://" + endpoint.authority) {
            report(
                mqtt, "url",
                "plain mqtt:// sends the password and the events unencrypted; it is allowed only to a broker on this "
                    + "machine (127.0.0.1, ::1, localhost) unless 'insecure: true', got '\(url)': "
                    + "use mqtts:// with ca: or pin:")
        }
        if endpoint.tls, ca == nil, pin == nil {
            report(mqtt, "url", "an mqtts:// broker needs ca: (the CA certificate that issued the broker's) or pin: "
                + "(the broker's own certificate)")
        }
        return MQTTConfiguration(
            tls: endpoint.tls, host: endpoint.host, port: endpoint.port, insecure: insecure, username: username,
            passwordFile: passwordFile, caFile: ca, pinFile: pin, clientID: clientID,
            topicPrefix: prefix ?? "sightline", qos: qos ?? 1, protocolV5: version == "5", discovery: discovery,
            discoveryPrefix: discoveryPrefix ?? "homeassistant", types: types ?? MQTTConfiguration.defaultTypes,
            crossingOnSeconds: onSeconds ?? 10)
    }

    /// `types:`: known event types; `face.match` only when written here.
    private mutating func mqttTypes(_ fields: MappingFields) -> Set<DetectionType>? {
        guard let list = fields["types"] else { return nil }
        guard case .sequence(let entries) = list, !entries.isEmpty else {
            report(fields, "types", "must be a list of event types, got \(Self.describe(list))")
            return nil
        }
        let known = DetectionType.allCases.map(\.rawValue)
        var types = Set<DetectionType>()
        for (index, entry) in entries.enumerated() {
            if case .scalar(let scalar) = entry, let type = DetectionType(rawValue: scalar.string) {
                types.insert(type)
                continue
            }
            reportUnknownType(entry, index: index, in: fields, known: known)
        }
        return types
    }

    /// An absolute path, or nil after reporting.
    private mutating func absolutePath(_ fields: MappingFields, _ field: String, _ what: String) -> String? {
        guard let path = text(fields, field) else { return nil }
        guard path.hasPrefix("/") else {
            report(fields, field, "must be the absolute path of \(what), got '\(path)'")
            return nil
        }
        return path
    }

    /// Topic levels (`sightline`, `site/door`): no wildcards, no empty level, at most 200 bytes.
    private mutating func topicLevels(_ fields: MappingFields, _ field: String) -> String? {
        guard let value = text(fields, field) else { return nil }
        let levels = value.split(separator: "/", omittingEmptySubsequences: false)
        guard !value.isEmpty, value.utf8.count <= 200,
              levels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isTopicSafe) })
        else {
            report(fields, field,
                   "must be topic levels of letters, digits, '-', '_' or '.' joined by '/', got '\(value)'")
            return nil
        }
        return value
    }

    static func isTopicSafe(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".")
    }

    /// Scheme, host and port of `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]` (IPv6 in brackets); nil when it is
    /// not one (a path, a query or user information in the URL included: credentials go in their own keys).
    static func brokerEndpoint(_ url: String) -> (tls: Bool, host: String, port: Int, authority: String)? {
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("mqtts://") {
            tls = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("mqtt://") {
            tls = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        var authority = rest
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { return nil }
        var port = tls ? 8883 : 1883
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        return (tls, String(host), port, String(authority))
    }
}
