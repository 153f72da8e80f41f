import SightlineCore

extension ConfigReference {
    /// The `mqtt:` section.
    static var mqttSection: Section {
        let mqtt = MQTTConfiguration(host: "")
        let summary = "Publishing the signed events to an MQTT broker (Home Assistant)."
        return Section(path: "mqtt", summary: summary, entries: [
            Entry(key: "url", type: "URL", defaultValue: "required",
                  meaning: "`mqtts://HOST[:PORT]` (port 8883 by default); `mqtt://` (1883) only to a broker on this "
                    + "machine unless `insecure: true`."),
            Entry(key: "insecure", type: "boolean", defaultValue: "\(mqtt.insecure)",
                  meaning: "Allows plain `mqtt://` to another machine: the password and the events travel "
                    + "unencrypted."),
            Entry(key: "username", type: "text", defaultValue: "none", meaning: "The broker user."),
            Entry(key: "password_file", type: "absolute path", defaultValue: "none",
                  meaning: "File whose first line is the broker password (never logged); needs `username`."),
            Entry(key: "ca", type: "absolute path", defaultValue: "none",
                  meaning: "PEM certificate of the CA that issued the broker's certificate; the host name is checked."),
            Entry(key: "pin", type: "absolute path", defaultValue: "none",
                  meaning: "The broker's own self-signed PEM certificate, the only one trusted; the host name is not "
                    + "checked. Either `ca` or `pin` for `mqtts://`."),
            Entry(key: "client_id", type: "text", defaultValue: "the device id", meaning: "The MQTT client id."),
            Entry(key: "topic_prefix", type: "topic levels", defaultValue: mqtt.topicPrefix,
                  meaning: "Events go to `PREFIX/DEVICE/CAMERA/event/TYPE`, availability to "
                    + "`PREFIX/DEVICE/availability`, "
                    + "states to `PREFIX/DEVICE/CAMERA/state/NAME`."),
            Entry(key: "qos", type: "0 \\| 1", defaultValue: "\(mqtt.qos)",
                  meaning: "1: an event counts as published when the broker acknowledged it (at least once)."),
            Entry(key: "protocol", type: "3.1.1 \\| 5", defaultValue: "3.1.1", meaning: "The MQTT protocol version."),
            Entry(key: "discovery", type: "boolean", defaultValue: "\(mqtt.discovery)",
                  meaning: "Home Assistant MQTT discovery: one device per camera with its entities."),
            Entry(key: "discovery_prefix", type: "topic levels", defaultValue: mqtt.discoveryPrefix,
                  meaning: "Home Assistant's discovery prefix."),
            Entry(key: "types", type: "list of event types",
                  defaultValue: MQTTConfiguration.defaultTypes.map(\.rawValue).sorted().joined(separator: ", "),
                  meaning: "The event types published; `face.match` only when listed here."),
            Entry(key: "crossing_on_seconds", type: "seconds, 1–3600", defaultValue: "\(mqtt.crossingOnSeconds)",
                  meaning: "How long the red-light crossing binary sensor stays on after a crossing."),
        ], acceptedKeys: ConfigReader.mqttKeys)
    }
}
