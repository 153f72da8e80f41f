import EventLog
import Foundation
import MQTT
import SightlineConfig
import SightlineTools

extension Doctor {
    /// The broker of `mqtt:` accepts a connection with the configured user and password file, and acknowledges a
    /// message published to `PREFIX/DEVICE/doctor` (not retained). Messages name the broker, never a credential.
    func mqtt(_ configuration: DaemonConfiguration) -> [DoctorCheck] {
        guard let mqtt = configuration.mqtt else { return [] }
        let broker = mqtt.brokerDescription
        let password: String?
        do {
            password = try mqtt.passwordFile.map { path throws(MQTTError) in try MQTTPublisher.readPassword(path) }
        } catch {
            return [.fail("mqtt", "\(error)",
                          fix: "write the broker password as the first line of "
                              + "\(mqtt.passwordFile ?? "password_file"), readable by the service user")]
        }
        let keyPath = configuration.stateDirectory + "/" + DeviceKey.fileName
        let device = (try? DeviceKey.load(path: keyPath))?.deviceID ?? "doctor"
        var tls: MQTTClient.TLS?
        if mqtt.tls, let pin = mqtt.pinFile {
            tls = .pin(pin)
        } else if mqtt.tls, let ca = mqtt.caFile {
            tls = .ca(ca)
        }
        let options = MQTTClient.Options(
            host: mqtt.host, port: mqtt.port, clientID: (mqtt.clientID ?? device) + "-doctor",
            username: mqtt.username, password: password, tls: tls, protocolV5: mqtt.protocolV5,
            reconnectMin: 1, reconnectMax: 1)
        let timeout = settings.collectorTimeoutSeconds
        let topic = "\(mqtt.topicPrefix)/\(device)/doctor"
        let outcome = blockingAwait { () async -> Result<Void, MQTTError> in
            do throws(MQTTError) {
                let client = try MQTTClient(options)
                try client.start()
                _ = try await client.waitConnected(timeoutSeconds: timeout)
                let ticket = try client.publish(topic: topic, payload: Array("sightline doctor".utf8),
                                                qos: 1, retain: false)
                let deadline = Date().addingTimeInterval(timeout)
                while !client.isAcknowledged(ticket) {
                    guard Date() < deadline else {
                        return .failure(.unreachable(broker: broker, detail: "no acknowledgement of \(topic)"))
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                client.disconnect()
                return .success(())
            } catch { return .failure(error) }
        }
        switch outcome {
        case .success:
            return [.ok("mqtt", "\(broker) accepted the connection and acknowledged a message on \(topic)")]
        case .failure(.notAuthorized):
            return [.fail("mqtt", "\(broker) refused the user name or password",
                          fix: "check mqtt.username and the password in mqtt.password_file against the broker's "
                              + "password file (mosquitto_passwd)")]
        case .failure(let error):
            return [.fail("mqtt", "\(error)",
                          fix: "check mqtt.url, that the broker runs and listens there, the firewall, and for "
                              + "mqtts:// that mqtt.ca or mqtt.pin is the certificate that signs the broker's")]
        }
    }
}
