/// Why the broker could not be used. Every case names the broker (`mqtts://host:port`), never a credential.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker refused the user name or password (CONNACK 4 or 5; MQTT 5 reason 0x86 or 0x87).
    case notAuthorized(broker: String, reason: String)
    /// The broker refused the connection for another reason (protocol version, client id, unavailable).
    case refused(broker: String, reason: String)
    /// No connection within the time allowed: the broker is down, unreachable, or the TLS handshake failed
    /// (`detail` is libmosquitto's last error, such as a certificate that does not verify).
    case unreachable(broker: String, detail: String)
    /// The password file could not be read (its path only).
    case credentials(String)
    /// libmosquitto refused a call (its error text).
    case library(String)

    public var description: String {
        switch self {
        case .notAuthorized(let broker, let reason):
            "the broker \(broker) refused the user name or password (\(reason))"
        case .refused(let broker, let reason): "the broker \(broker) refused the connection (\(reason))"
        case .unreachable(let broker, let detail):
            "no connection to the broker \(broker)" + (detail.isEmpty ? "" : ": \(detail)")
        case .credentials(let message): "broker password: \(message)"
        case .library(let message): "libmosquitto: \(message)"
        }
    }
}
