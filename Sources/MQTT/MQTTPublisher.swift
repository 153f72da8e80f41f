import EventLog
import Foundation
import Logging
import Metrics
import SightlineConfig
import SightlineCore
import Synchronization

/// Publishes the device's signed events to an MQTT broker: each event of a chosen type on
/// `PREFIX/DEVICE/CAMERA/event/TYPE`, its line exactly as spooled (so a subscriber can verify it), the cameras'
/// retained states, the device's availability (with `offline` as the last will) and Home Assistant discovery.
///
/// Reads the spool with its own position (`EventSpool.readerPosition("mqtt")`), independent of the forwarder's
/// acknowledgements: a batch's position is saved only once the broker acknowledged every message of it, so
/// events arrive at least once and in seq order across broker outages and restarts. Nothing here waits on a
/// pipeline or on the forwarder: the spool is only read, and the broker's pace only delays this reader.
public final class MQTTPublisher: Sendable {
    /// The spool reader's name.
    public static let readerName = "mqtt"

    public let configuration: MQTTConfiguration
    public let topics: MQTTTopics
    public let discovery: HomeAssistantDiscovery
    /// The configured cameras (discovery devices and state topics); `update(cameras:)` replaces them.
    public var cameras: [String] { cameraList.withLock { $0.cameras } }
    /// The cameras, and whether they changed since the last announcement.
    private let cameraList: Mutex<(cameras: [String], changed: Bool)>
    let spool: EventSpool
    let client: MQTTClient
    let logger: Logger
    let pollSeconds: Double
    let batchSize: Int
    let ackTimeoutSeconds: Double
    let timeZone: TimeZone
    let wallNanos: @Sendable () -> Int64
    private let backlog = Gauge(label: "sightline_mqtt_backlog")
    private let publishedEvents = Counter(label: "sightline_mqtt_events_published_total")
    private let connectedGauge = Gauge(label: "sightline_mqtt_connected")
    private let failures = Counter(label: "sightline_mqtt_failures_total")
    private let purged = Counter(label: "sightline_mqtt_events_purged_unpublished_total")
    private let skipped = Counter(label: "sightline_mqtt_events_skipped_total")
    /// The session `run` ended with, for `finish`.
    private let lastSession = Mutex<Session?>(nil)
    private let started = Mutex(false)

    /// Reads the password file (if any) and prepares the connection; nothing connects before `run`/`drain`.
    public init(
        configuration: MQTTConfiguration, spool: EventSpool, device: String, cameras: [String], logger: Logger,
        pollSeconds: Double = 0.25, batchSize: Int = 100, ackTimeoutSeconds: Double = 15,
        timeZone: TimeZone = .current, wallNanos: @escaping @Sendable () -> Int64 = { Clocks.wallNanos() }
    ) throws(MQTTError) {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        self.configuration = configuration
        self.spool = spool
        cameraList = Mutex((cameras, false))
        self.logger = logger
        self.pollSeconds = pollSeconds
        self.batchSize = batchSize
        self.ackTimeoutSeconds = ackTimeoutSeconds
        self.timeZone = timeZone
        self.wallNanos = wallNanos
        topics = MQTTTopics(prefix: configuration.topicPrefix, device: device,
                            discoveryPrefix: configuration.discoveryPrefix)
        discovery = HomeAssistantDiscovery(topics: topics, crossingOnSeconds: configuration.crossingOnSeconds)
        let password = try configuration.passwordFile.map { path throws(MQTTError) in try Self.readPassword(path) }
        var tls: MQTTClient.TLS?
        if configuration.tls {
            if let pin = configuration.pinFile {
                tls = .pin(pin)
            } else if let ca = configuration.caFile {
                tls = .ca(ca)
            }
        }
        client = try MQTTClient(.init(
            host: configuration.host, port: configuration.port, clientID: configuration.clientID ?? device,
            username: configuration.username, password: password, tls: tls, protocolV5: configuration.protocolV5,
            will: (topic: topics.availability, payload: Array("offline".utf8), qos: 1, retain: true)))
    }

    /// The first line of the password file, without its line ending. Errors name the file only.
    public static func readPassword(_ path: String) throws(MQTTError) -> String {
        // At most 4097 bytes read: a password file is a line, whatever the path names.
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .credentials("cannot read \(path)") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: 4097) ?? Data() } catch { throw .credentials("cannot read \(path)") }
        guard data.count <= 4096, let text = String(data: data, encoding: .utf8) else {
            throw .credentials("\(path) is not a UTF-8 text file of at most 4096 bytes")
        }
        let line = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first
            .map(String.init) ?? ""
        guard !line.isEmpty else { throw .credentials("\(path) is empty") }
        return line
    }

    /// The broker, for messages (no credentials).
    public var broker: String { configuration.brokerDescription }

    /// What one connection has published and where the reader stands.
    struct Session: Sendable {
        var position: SpoolReaderPosition
        var states: CameraStates
        var generation: UInt64 = 0
        /// Retained state payloads published on this connection, by topic.
        var sentStates: [String: String] = [:]
    }

    /// Why a batch was not finished; its position is not saved and it is sent again.
    enum BatchFailure: Error {
        case connectionLost
        case timeout
        case spool(SpoolError)
        case publish(MQTTError)
    }

    private func openSession() throws(SpoolError) -> Session {
        let position = try spool.readerPosition(Self.readerName)
        return Session(position: position, states: CameraStates(decoding: position.state))
    }

    /// Starts the connection (once).
    private func startClient() throws(MQTTError) {
        let first = started.withLock { s in
            defer { s = true }
            return !s
        }
        if first { try client.start() }
    }

    /// Publishes until cancelled; then call `finish` (outside the cancelled task) to publish what is left.
    public func run() async {
        do { try startClient() } catch {
            logger.error("MQTT publisher not started", metadata: ["broker": "\(broker)", "error": "\(error)"])
            return
        }
        var session: Session
        do { session = try openSession() } catch {
            logger.error("MQTT publisher cannot read its position in the spool", metadata: ["error": "\(error)"])
            return
        }
        defer { lastSession.withLock { [session] in $0 = session } }
        var lastProblem = ""
        while !Task.isCancelled {
            do {
                if try await step(&session) == false { try? await Task.sleep(for: .seconds(pollSeconds)) }
                if !lastProblem.isEmpty {
                    logger.notice("MQTT publishing works again", metadata: ["broker": "\(broker)"])
                    lastProblem = ""
                }
            } catch {
                if Task.isCancelled { break }
                let problem = "\(error)"
                if problem != lastProblem {
                    logger.warning("MQTT publishing waits", metadata: ["broker": "\(broker)", "reason": "\(problem)"])
                    lastProblem = problem
                }
                failures.increment()
                try? await Task.sleep(for: .seconds(pollSeconds))
            }
        }
    }

    /// Connects when not yet connected, publishes what the spool holds for at most `timeoutSeconds`, announces
    /// `offline` and disconnects. Throws when the broker refused or could not be reached in time (what was not
    /// published stays for the next start). After `run`, from a task that is not cancelled.
    public func finish(timeoutSeconds: Double) async throws(MQTTError) {
        try startClient()
        var session: Session
        if let saved = lastSession.withLock({ $0 }) {
            session = saved
        } else {
            do { session = try openSession() } catch { throw .library("spool: \(error)") }
        }
        try await finish(&session, timeoutSeconds: timeoutSeconds)
    }

    /// Publishes what is left until the spool is exhausted or `timeoutSeconds` passed, then announces `offline`
    /// and disconnects.
    private func finish(_ session: inout Session, timeoutSeconds: Double) async throws(MQTTError) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var lastError: MQTTError?
        while Date() < deadline {
            do {
                if try await step(&session) == false { break }
            } catch let error as MQTTError {
                // A refusal does not change by waiting: said at once.
                switch error {
                case .notAuthorized, .refused: throw error
                default: lastError = error
                }
                try? await Task.sleep(for: .milliseconds(50))
            } catch {
                lastError = .unreachable(broker: broker, detail: "\(error)")
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        if case .connected = client.status, let ticket = try? client.publish(
            topic: topics.availability, payload: Array("offline".utf8), qos: 1, retain: true)
        {
            let until = Date().addingTimeInterval(2)
            while !client.isAcknowledged(ticket), Date() < until { try? await Task.sleep(for: .milliseconds(10)) }
            client.disconnect()
            return
        }
        if let lastError { throw lastError }
        throw .unreachable(broker: broker, detail: client.lastError)
    }

    /// One round: on a new connection announces the device, then publishes one batch. Returns whether it
    /// published events (false: the spool had nothing new).
    func step(_ session: inout Session) async throws -> Bool {
        // The backlog is known with or without a broker: while it is down is when it grows.
        if let head = try? spool.state().lastSeq {
            backlog.record(Int64(clamping: head) - Int64(clamping: session.position.seq))
        }
        let generation: UInt64
        switch client.status {
        case .connected(let g): generation = g
        case .refused(let error):
            connectedGauge.record(0)
            throw error
        case .disconnected(let detail):
            connectedGauge.record(0)
            throw MQTTError.unreachable(broker: broker, detail: detail)
        case .connecting:
            connectedGauge.record(0)
            let detail = client.lastError
            throw MQTTError.unreachable(broker: broker, detail: detail.isEmpty ? "connecting" : detail)
        }
        connectedGauge.record(1)
        let camerasChanged = cameraList.withLock { list in
            defer { list.changed = false }
            return list.changed
        }
        if generation != session.generation || camerasChanged {
            session.sentStates = [:]
            do { try await announce(&session, generation: generation) } catch {
                if camerasChanged { cameraList.withLock { $0.changed = true } }
                throw error
            }
            session.generation = generation
            logger.info("MQTT connected", metadata: ["broker": "\(broker)", "from_seq": "\(session.position.seq + 1)"])
        }
        return try await publishBatch(&session, generation: generation)
    }

    /// Replaces the cameras (a configuration reload): the next round announces the new ones and removes the
    /// entities of those gone.
    public func update(cameras: [String]) {
        cameraList.withLock { list in
            guard list.cameras != cameras else { return }
            list = (cameras, true)
        }
    }

    /// `online`, the discovery configs of the configured cameras, and empty configs for cameras announced before
    /// and configured no more; saves the cameras announced.
    private func announce(_ session: inout Session, generation: UInt64) async throws {
        let cameras = self.cameras
        var tickets = [try publish(topics.availability, "online", retain: true)]
        let wanted = configuration.discovery ? cameras : []
        if configuration.discovery {
            for camera in cameras {
                for (topic, payload) in discovery.configs(camera: camera) {
                    tickets.append(try publish(topic, payload, retain: true))
                }
            }
        }
        for camera in session.states.announced where !wanted.contains(camera) {
            for topic in discovery.removals(camera: camera) { tickets.append(try publish(topic, [], retain: true)) }
            for state in CameraStateTopic.allCases where state != .crossing {
                tickets.append(try publish(topics.state(camera: camera, state), [], retain: true))
            }
        }
        try await waitAcknowledged(tickets, generation: generation)
        if session.states.announced != wanted {
            var states = session.states
            states.announced = wanted
            let position = SpoolReaderPosition(seq: session.position.seq, state: states.encoded())
            try spool.saveReaderPosition(Self.readerName, position)
            session.position = position
            session.states = states
        }
    }

    private func publishBatch(_ session: inout Session, generation: UInt64) async throws -> Bool {
        let batch = try spool.events(after: session.position.seq, limit: batchSize)
        let head = try spool.state().lastSeq
        backlog.record(Int64(clamping: head) - Int64(clamping: session.position.seq))
        let now = wallNanos()
        guard let last = batch.last else {
            // Nothing new: the time-based states (faces in the last minute, a new day) may still change.
            // Not waited for: a state lost with the connection is sent again on the next one.
            _ = try publishStates(&session.states, sent: &session.sentStates, nowNanos: now)
            return false
        }
        if let first = batch.first, first.seq > session.position.seq + 1 {
            let lost = first.seq - session.position.seq - 1
            purged.increment(by: Int64(clamping: lost))
            logger.warning("MQTT: events purged by retention before they were published",
                           metadata: ["count": "\(lost)", "from_seq": "\(session.position.seq + 1)"])
        }
        var states = session.states
        var tickets: [MQTTClient.Ticket] = []
        var published = 0
        for spooled in batch {
            let event: Event
            do { event = try Event(json: JSONParser.parse(spooled.line)) } catch {
                logger.error("MQTT: spooled event unreadable, skipped", metadata: ["seq": "\(spooled.seq)"])
                continue
            }
            let eventNanos = Timestamp.nanos(rfc3339: event.time) ?? now
            states.apply(event, wallNanos: eventNanos, timeZone: timeZone)
            // Checkpoints (no camera) and other types not chosen are not published: nothing to check.
            let chosen = configuration.types.contains(where: { $0.rawValue == event.type })
            let crossing = event.type == DetectionType.trafficRedLightCrossing.rawValue
            guard chosen || crossing else { continue }
            // A camera name that cannot be a topic level (an event written by a tool, not the daemon) would make
            // every retry fail: such an event is left out, said, and counted.
            guard MQTTTopics.isValidLevel(event.camera), MQTTTopics.isValidLevel(event.type) else {
                skipped.increment()
                logger.error("MQTT: event with a camera or type that cannot be a topic level, not published",
                             metadata: ["seq": "\(spooled.seq)"])
                continue
            }
            if chosen {
                tickets.append(try publish(topics.event(camera: event.camera, type: event.type), spooled.line,
                                           retain: false))
                published += 1
            }
            if crossing,
               now - eventNanos < Int64(configuration.crossingOnSeconds) * 1_000_000_000
            {
                tickets.append(try publish(topics.state(camera: event.camera, .crossing), "ON", retain: false))
            }
        }
        var sent = session.sentStates
        tickets += try publishStates(&states, sent: &sent, nowNanos: now)
        do { try await waitAcknowledged(tickets, generation: generation) } catch {
            session.sentStates = [:]
            throw error
        }
        let position = SpoolReaderPosition(seq: last.seq, state: states.encoded())
        try spool.saveReaderPosition(Self.readerName, position)
        session.position = position
        session.states = states
        session.sentStates = sent
        publishedEvents.increment(by: published)
        backlog.record(Int64(clamping: head) - Int64(clamping: last.seq))
        return true
    }

    /// Publishes each configured camera's retained states that changed since last sent on this connection.
    private func publishStates(_ states: inout CameraStates, sent: inout [String: String], nowNanos: Int64)
        throws -> [MQTTClient.Ticket]
    {
        states.roll(to: CameraStates.day(wallNanos: nowNanos, timeZone: timeZone))
        let cameras = self.cameras
        var tickets: [MQTTClient.Ticket] = []
        for camera in cameras {
            var values: [(CameraStateTopic, String)] = [
                (.crossingsToday, "\(states.crossings[camera] ?? 0)"),
                (.facesLastMinute, "\(states.facesLastMinute(camera: camera, nowNanos: nowNanos))"),
            ]
            if let signal = states.signal[camera] { values.append((.signal, signal)) }
            if let online = states.online[camera] { values.append((.online, online ? "online" : "offline")) }
            for (state, value) in values {
                let topic = topics.state(camera: camera, state)
                guard sent[topic] != value else { continue }
                tickets.append(try publish(topic, value, retain: true))
                sent[topic] = value
            }
        }
        return tickets
    }

    private func publish(_ topic: String, _ text: String, retain: Bool) throws -> MQTTClient.Ticket {
        try publish(topic, Array(text.utf8), retain: retain)
    }

    private func publish(_ topic: String, _ payload: [UInt8], retain: Bool) throws -> MQTTClient.Ticket {
        try client.publish(topic: topic, payload: payload, qos: configuration.qos, retain: retain)
    }

    /// Waits until the broker acknowledged every ticket; throws when the connection changed meanwhile (what was
    /// not acknowledged may be lost) or when `ackTimeoutSeconds` pass without any acknowledgement. The wait is
    /// for progress, not for the whole batch: a slow broker (a long round trip, with only so many messages in
    /// flight at once) still finishes every batch, where a deadline on the batch resent it for ever.
    private func waitAcknowledged(_ tickets: [MQTTClient.Ticket], generation: UInt64) async throws {
        var deadline = Date().addingTimeInterval(ackTimeoutSeconds)
        var remaining = tickets[...]
        while let next = remaining.first {
            if client.isAcknowledged(next) {
                remaining = remaining.dropFirst()
                deadline = Date().addingTimeInterval(ackTimeoutSeconds)
                continue
            }
            guard case .connected(let g) = client.status, g == generation, !Task.isCancelled else {
                throw BatchFailure.connectionLost
            }
            guard Date() < deadline else { throw BatchFailure.timeout }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension MQTTPublisher.BatchFailure: CustomStringConvertible {
    var description: String {
        switch self {
        case .connectionLost: "the connection was lost before the broker acknowledged the batch"
        case .timeout: "the broker did not acknowledge the batch in time"
        case .spool(let e): "spool: \(e)"
        case .publish(let e): "\(e)"
        }
    }
}
