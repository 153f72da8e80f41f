import Crypto
import EventLog
import Foundation
import Logging
import MQTT
import SightlineConfig
import SightlineCore
import SightlineTestKit

/// A device with a real event log in a temporary directory (removed with the harness).
final class MQTTHarness: @unchecked Sendable {
    let key = DeviceKey.generate()
    let log: EventLog
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "sightline-mqtt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = try EventLog(configuration: EventLogConfiguration(stateDirectory: directory, checkpointEvery: 1_000_000),
                           key: key, logger: Self.quiet)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static var quiet: Logger {
        var logger = Logger(label: "test.mqtt")
        logger.logLevel = .critical
        return logger
    }

    /// `mqtt://127.0.0.1:PORT` with the broker's user and password file.
    static func configuration(_ broker: MosquittoBroker, types: Set<DetectionType> = MQTTConfiguration.defaultTypes)
        -> MQTTConfiguration
    {
        MQTTConfiguration(tls: false, host: "127.0.0.1", port: broker.port, username: broker.username,
                          passwordFile: broker.passwordFile, types: types)
    }

    func publisher(_ configuration: MQTTConfiguration, cameras: [String] = ["door"]) throws(MQTTError)
        -> MQTTPublisher
    {
        try MQTTPublisher(configuration: configuration, spool: log.spool, device: key.deviceID, cameras: cameras,
                          logger: Self.quiet, pollSeconds: 0.05)
    }

    @discardableResult
    func crossing(camera: String = "door", n: Int) throws -> Event {
        try log.emit(camera: camera, type: "traffic.red_light_crossing", body: ["track": .int(Int64(n))])
    }
}

/// A subscriber to every topic of a broker, collecting what arrives.
final class Subscriber: @unchecked Sendable {
    let client: MQTTClient
    private(set) var messages: [MQTTClient.Message] = []

    /// `persistent`: the broker keeps the subscription and queues QoS 1 messages while this client or the broker
    /// is away (a restarted broker restores the session from its persistence file).
    init(_ broker: MosquittoBroker, pattern: String = "#", persistent: Bool = false) async throws {
        client = try MQTTClient(.init(
            host: "127.0.0.1", port: broker.port, clientID: "test-sub-\(UUID().uuidString.prefix(8))",
            username: broker.username, password: broker.password, cleanSession: !persistent, reconnectMin: 1,
            reconnectMax: 1))
        try client.start()
        _ = try await client.waitConnected(timeoutSeconds: 10)
        try client.subscribe(pattern, qos: 1)
        try await Task.sleep(for: .milliseconds(100))
    }

    /// Takes what arrived so far.
    @discardableResult
    func collect() -> [MQTTClient.Message] {
        while let m = client.nextMessage() { messages.append(m) }
        return messages
    }

    /// Collects until `done` holds, polling every 20 ms for `seconds` worth of polls; returns whether it held.
    /// The budget is counted in polls, not on the clock: in the full suite, tests that keep the cooperative
    /// threads busy can hold back this task and the publisher under test alike for minutes, and a clock deadline
    /// would expire before the publisher ever ran. A wall-clock cap of 30 times `seconds` still ends a hung wait.
    func wait(seconds: Double, until done: ([MQTTClient.Message]) -> Bool) async -> Bool {
        let cap = Date().addingTimeInterval(seconds * 30)
        for _ in 0..<max(1, Int(seconds / 0.02)) where Date() < cap {
            if done(collect()) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return done(collect())
    }

    /// The seqs of the events received, in arrival order (repeats kept).
    func eventSeqs() -> [UInt64] {
        collect().filter { $0.topic.contains("/event/") }.compactMap { message in
            guard case .object(let o)? = try? JSONParser.parse(message.payload), case .int(let s)? = o["seq"] else {
                return nil
            }
            return UInt64(exactly: s)
        }
    }

    /// The last payload on `topic`, as text.
    func last(_ topic: String) -> String? {
        collect().last { $0.topic == topic }.map { String(decoding: $0.payload, as: UTF8.self) }
    }
}
