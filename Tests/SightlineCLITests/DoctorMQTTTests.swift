import Foundation
@testable import SightlineCLI
import SightlineConfig
import SightlineTestKit
import Testing

/// `sightline doctor`'s broker check against a real Mosquitto on loopback: connect, authenticate, publish.
@Suite(.serialized) struct DoctorMQTTTests {
    static func configuration(_ broker: MosquittoBroker, passwordFile: String) -> DaemonConfiguration {
        var configuration = DaemonConfiguration(stateDirectory: NSTemporaryDirectory() + "sightline-none")
        configuration.mqtt = MQTTConfiguration(tls: false, host: "127.0.0.1", port: broker.port,
                                               username: broker.username, passwordFile: passwordFile)
        return configuration
    }

    @Test func aReachableBrokerWithTheRightPasswordPasses() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let doctor = Doctor(settings: .init(configPath: "", user: "nobody"))
        let checks = doctor.mqtt(Self.configuration(broker, passwordFile: broker.passwordFile))
        #expect(checks.map(\.status) == [.ok], "\(checks.map(\.line))")
        #expect(checks.first?.message.contains("acknowledged") == true)
    }

    @Test func aWrongPasswordOrNoBrokerFailsWithoutShowingThePassword() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let wrong = broker.directory + "/wrong.password"
        try "hunter2-wrong\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        let doctor = Doctor(settings: .init(configPath: "", user: "nobody"))
        let refused = doctor.mqtt(Self.configuration(broker, passwordFile: wrong))
        #expect(refused.map(\.status) == [.fail])
        #expect(refused.first?.message.contains("refused the user name or password") == true)
        #expect(!refused.map(\.line).joined().contains("hunter2"))
        broker.stop()
        let down = doctor.mqtt(Self.configuration(broker, passwordFile: broker.passwordFile))
        #expect(down.map(\.status) == [.fail])
        #expect(down.first?.message.contains("127.0.0.1:\(broker.port)") == true, "\(down.map(\.line))")
        #expect(!down.map(\.line).joined().contains(broker.password))
    }
}
