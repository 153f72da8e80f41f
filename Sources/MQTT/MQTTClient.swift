internal import CMosquitto
import Foundation

/// One connection to an MQTT broker over libmosquitto, with its own network thread that reconnects after a
/// loss. Owns the C client (freed in `deinit`); every call returns at once, state is polled (`status`).
///
/// Thread-safe: the shim guards its state with a lock and libmosquitto's calls are thread-safe.
public final class MQTTClient: @unchecked Sendable {
    /// How the broker is trusted over TLS.
    public enum TLS: Sendable, Equatable {
        /// A CA certificate file; the broker's host name is checked.
        case ca(String)
        /// The broker's own self-signed certificate, the only one trusted; the host name is not checked.
        case pin(String)
    }

    /// What a connection needs.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var username: String?
        /// Never logged nor shown.
        public var password: String?
        public var tls: TLS?
        public var protocolV5: Bool
        /// False: the broker keeps this client's subscriptions and queued QoS 1 messages while it is away.
        public var cleanSession: Bool
        /// The last will: topic, payload, QoS, retained.
        public var will: (topic: String, payload: [UInt8], qos: Int, retain: Bool)?
        public var keepaliveSeconds: Int
        /// Reconnection backoff, seconds.
        public var reconnectMin: Int
        public var reconnectMax: Int

        public init(host: String, port: Int, clientID: String, username: String? = nil, password: String? = nil,
                    tls: TLS? = nil, protocolV5: Bool = false, cleanSession: Bool = true,
                    will: (topic: String, payload: [UInt8], qos: Int, retain: Bool)? = nil,
                    keepaliveSeconds: Int = 30, reconnectMin: Int = 1, reconnectMax: Int = 30) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.username = username
            self.password = password
            self.tls = tls
            self.protocolV5 = protocolV5
            self.cleanSession = cleanSession
            self.will = will
            self.keepaliveSeconds = keepaliveSeconds
            self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax
        }

        /// `mqtt(s)://host:port`, for messages.
        public var broker: String {
            (tls == nil ? "mqtt://" : "mqtts://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        }
    }

    /// The connection's state.
    public enum Status: Sendable, Equatable {
        case connecting
        /// Connected; `generation` grows with each new connection.
        case connected(generation: UInt64)
        /// The broker answered with a refusal (`error` says which).
        case refused(MQTTError)
        /// Not connected (lost, or never reached); `detail` is libmosquitto's last error.
        case disconnected(detail: String)
    }

    /// A published message, to ask whether it was acknowledged.
    public struct Ticket: Sendable, Equatable {
        let mid: Int32
        let clock: UInt64
    }

    /// A received message (subscriptions are for diagnostics and tests).
    public struct Message: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
        public var retained: Bool
    }

    public let options: Options
    private let client: OpaquePointer
    private var started = false

    /// A client, not yet connecting. Throws `.library` when libmosquitto refuses the options (a bad TLS file).
    public init(_ options: Options) throws(MQTTError) {
        self.options = options
        let client = CMosquitto_new(options.clientID, options.protocolV5 ? 1 : 0, options.cleanSession ? 1 : 0)
        guard let client else {
            throw .library("cannot create a client (out of memory)")
        }
        self.client = client
        if let username = options.username {
            try Self.check(CMosquitto_set_credentials(client, username, options.password), "credentials")
        }
        switch options.tls {
        case .ca(let path): try Self.check(CMosquitto_set_tls(client, path, 1), "ca \(path)")
        case .pin(let path): try Self.check(CMosquitto_set_tls(client, path, 0), "pin \(path)")
        case nil: break
        }
        if let will = options.will {
            let rc = will.payload.withUnsafeBytes {
                CMosquitto_set_will(client, will.topic, $0.baseAddress, Int32($0.count), Int32(will.qos),
                                    will.retain ? 1 : 0)
            }
            try Self.check(rc, "last will")
        }
    }

    deinit { CMosquitto_destroy(client) }

    private static func check(_ rc: Int32, _ what: String) throws(MQTTError) {
        guard rc == 0 else { throw .library("\(what): " + String(cString: CMosquitto_strerror(rc))) }
    }

    /// Starts connecting on the client's thread; a broker that is down is retried with backoff.
    public func start() throws(MQTTError) {
        precondition(!started, "start() once")
        started = true
        try Self.check(
            CMosquitto_start(client, options.host, Int32(options.port), Int32(options.keepaliveSeconds),
                             Int32(options.reconnectMin), Int32(options.reconnectMax)), "connect")
    }

    public var status: Status {
        var connack: Int32 = 0
        var generation: UInt64 = 0
        switch Int(CMosquitto_state(client, &connack, &generation)) {
        case Int(CMOSQUITTO_CONNECTED): return .connected(generation: generation)
        case Int(CMOSQUITTO_REFUSED): return .refused(refusal(connack))
        case Int(CMOSQUITTO_DISCONNECTED): return .disconnected(detail: lastError)
        default: return .connecting
        }
    }

    /// The typed error of a CONNACK refusal.
    private func refusal(_ code: Int32) -> MQTTError {
        let reason = String(cString: CMosquitto_connack_string(code))
        // 3.1.1: 4 bad user name or password, 5 not authorised; MQTT 5: 0x86, 0x87.
        if code == 4 || code == 5 || code == 0x86 || code == 0x87 {
            return .notAuthorized(broker: options.broker, reason: reason)
        }
        return .refused(broker: options.broker, reason: reason)
    }

    /// libmosquitto's last reported error (TLS, socket), empty when none.
    public var lastError: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = CMosquitto_last_error(client, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Waits until connected (returning the connection's generation), refused, or `timeoutSeconds` passed.
    public func waitConnected(timeoutSeconds: Double) async throws(MQTTError) -> UInt64 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            switch status {
            case .connected(let generation): return generation
            case .refused(let error): throw error
            case .connecting, .disconnected: break
            }
            if Date() >= deadline || Task.isCancelled {
                throw .unreachable(broker: options.broker, detail: lastError)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Queues a message for the broker. Throws when not connected (the caller retries after reconnection).
    public func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MQTTError) -> Ticket {
        guard Int32(exactly: payload.count) != nil else { throw .library("publish: payload of \(payload.count) bytes") }
        let clock = CMosquitto_ack_clock(client)
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes {
            CMosquitto_publish(client, topic, $0.baseAddress, Int32($0.count), Int32(qos), retain ? 1 : 0, &mid)
        }
        try Self.check(rc, "publish")
        return Ticket(mid: mid, clock: clock)
    }

    /// Whether the broker acknowledged `ticket`'s message (QoS 0: it was written to the socket).
    public func isAcknowledged(_ ticket: Ticket) -> Bool { CMosquitto_is_acked(client, ticket.mid, ticket.clock) != 0 }

    /// Subscribes to a topic pattern; messages wait for `nextMessage()`.
    public func subscribe(_ pattern: String, qos: Int = 1) throws(MQTTError) {
        try Self.check(CMosquitto_subscribe(client, pattern, Int32(qos)), "subscribe")
    }

    /// The oldest message received and not yet taken, or nil.
    public func nextMessage() -> Message? {
        var topic: UnsafeMutablePointer<CChar>?
        var payload: UnsafeMutableRawPointer?
        var length: Int32 = 0
        var retain: Int32 = 0
        guard CMosquitto_next_message(client, &topic, &payload, &length, &retain) != 0 else { return nil }
        defer {
            free(topic)
            free(payload)
        }
        // The shim never queues a negative length; a count below zero would still trap here, so it reads as empty.
        let bytes = payload.map { Array(UnsafeRawBufferPointer(start: $0, count: max(0, Int(length)))) } ?? []
        return Message(topic: topic.map { String(cString: $0) } ?? "", payload: bytes, retained: retain != 0)
    }

    /// Sends DISCONNECT: the broker then does not publish the last will.
    public func disconnect() { _ = CMosquitto_disconnect(client) }
}
