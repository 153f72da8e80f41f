import EventLog
import Foundation
import MQTT
import SightlineTestKit
import Testing

/// `sightlined` on the bundled intersection clip with an `mqtt:` section, against a real Mosquitto on loopback
/// with a password file: discovery configs, the crossings (each envelope verifies with the device key), the
/// camera's status, the retained states and availability all reach a subscriber.
@Suite(.serialized) struct MQTTEndToEndTests {
    @Test func theDaemonPublishesTheIntersectionToHomeAssistant() async throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let dir = try DaemonProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state").path

        let subscriber = try MQTTClient(.init(
            host: "127.0.0.1", port: broker.port, clientID: "e2e-watcher", username: broker.username,
            password: broker.password))
        try subscriber.start()
        _ = try await subscriber.waitConnected(timeoutSeconds: 10)
        try subscriber.subscribe("#", qos: 1)
        try await Task.sleep(for: .milliseconds(100))

        let clip = DaemonEventsEndToEndTests.repository.appendingPathComponent("Samples/intersection.mjpeg").path
        let config = dir.appendingPathComponent("sightlined.yaml")
        try """
        state_dir: \(state)
        metrics: {enabled: false}
        events: {}
        mqtt:
          url: mqtt://127.0.0.1:\(broker.port)
          username: \(broker.username)
          password_file: \(broker.passwordFile)
          types: [traffic.red_light_crossing, traffic.signal_state, camera.status, face.detected]
        cameras:
          - id: intersection
            source: mjpeg:\(clip)
            fps: 15
            replay: fast
            processing_width: 640
            events:
              types: [frame.stats, traffic.signal_state, traffic.red_light_crossing]
        \(try DaemonEventsEndToEndTests.sampleTrafficSection())
        """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = DaemonProcessTests.daemon
        daemon.arguments = ["--config", config.path]
        let log = Pipe()
        daemon.standardError = log
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        let output = log.fileHandleForReading.readDataToEndOfFile()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(!String(decoding: output, as: UTF8.self).contains(broker.password), "the password was logged")

        let key = try DeviceKey.load(path: state + "/" + DeviceKey.fileName)
        let prefix = "sightline/\(key.deviceID)"
        var messages: [MQTTClient.Message] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            while let m = subscriber.nextMessage() { messages.append(m) }
            let offline = Array("offline".utf8)
            if messages.contains(where: { $0.topic == "\(prefix)/availability" && $0.payload == offline }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        while let m = subscriber.nextMessage() { messages.append(m) }  // what came during the last sleep

        // The spool's crossings, each published once or more, exactly as signed.
        let spool = try EventSpool(path: state + "/" + EventSpool.fileName, logger: .init(label: "test"))
        let spooled = try spool.allEvents().compactMap { e -> Event? in try? Event(json: JSONParser.parse(e.line)) }
        let crossings = spooled.filter { $0.type == "traffic.red_light_crossing" }
        #expect(!crossings.isEmpty)
        let published = messages.filter { $0.topic == "\(prefix)/intersection/event/traffic.red_light_crossing" }
        #expect(Set(published.map(\.payload)) == Set(try spool.allEvents().filter { e in
            crossings.contains { $0.seq == e.seq }
        }.map(\.line)))
        for message in published {
            let event = try Event(json: JSONParser.parse(message.payload))
            #expect(event.verifySignature(canonical: try event.canonicalBytes(), publicKey: key.privateKey.publicKey))
        }
        // The camera went online, then offline when the clip ended: signed camera.status events, published too.
        let statuses = spooled.filter { $0.type == "camera.status" }.map { $0.body["state"] }
        #expect(statuses == [.string("online"), .string("offline")])
        #expect(messages.filter { $0.topic == "\(prefix)/intersection/event/camera.status" }.count >= 2)
        // Discovery, states and availability.
        #expect(Set(messages.filter { $0.topic.hasPrefix("homeassistant/") }.map(\.topic)).count == 5)
        func last(_ topic: String) -> String? {
            messages.last { $0.topic == topic }.map { String(decoding: $0.payload, as: UTF8.self) }
        }
        #expect(last("\(prefix)/intersection/state/crossings_today") == "\(crossings.count)")
        #expect(last("\(prefix)/intersection/state/online") == "offline")
        #expect(last("\(prefix)/availability") == "offline")
        #expect(messages.contains { $0.topic == "\(prefix)/availability" && $0.payload == Array("online".utf8) })
    }
}
