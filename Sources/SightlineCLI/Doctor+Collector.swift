import EventLog
import Forwarder
import Foundation
import SightlineConfig
import SightlineTools

extension Doctor {
    /// The collector answers `GET /healthz` within the timeout, and knows this device (`GET /v1/devices/{id}`).
    func collector(_ configuration: DaemonConfiguration) -> [DoctorCheck] {
        guard let events = configuration.events else {
            return [.ok("collector", "signed events are off: nothing leaves the box")]
        }
        guard let collector = events.collector else {
            return [.ok("collector", "none configured: events stay in the spool on the box")]
        }
        let url = collector.collectorURL
        let timeout = settings.collectorTimeoutSeconds
        let health = blockingAwait { () async -> Result<(status: Int, body: [UInt8]), ForwarderError> in
            do throws(ForwarderError) {
                return .success(try await CollectorProbe.get(collector, path: "/healthz", timeoutSeconds: timeout))
            } catch { return .failure(error) }
        }
        switch health {
        case .failure(.badPin(let reason)):
            return [.fail("collector", "cannot read the pinned certificate: \(reason)",
                          fix: "copy the collector's PEM certificate to "
                              + (collector.pinnedCertificatePath ?? "the path collector.pin names")
                              + ", or remove pin: for a collector with a publicly trusted certificate")]
        case .failure(let error):
            return [.fail("collector", "\(url) unreachable: \(error)",
                          fix: "check collector.url, the network and firewall, and that 'sightline-collector "
                              + "serve' runs")]
        case .success(let reply) where reply.status != 200:
            return [.fail("collector", "\(url)/healthz answered HTTP \(reply.status)",
                          fix: "check that collector.url names a Sightline collector")]
        case .success:
            break
        }
        let keyPath = configuration.stateDirectory + "/" + DeviceKey.fileName
        guard let key = try? DeviceKey.load(path: keyPath) else {
            return [.ok("collector", "\(url) is reachable"),
                    .warn("registration", "no device key yet, so the device cannot be registered",
                          fix: "start the daemon once (it creates the key), then register 'sightline device show'")]
        }
        let device = key.deviceID
        let lookup = blockingAwait { () async -> Result<(status: Int, body: [UInt8]), ForwarderError> in
            do throws(ForwarderError) {
                return .success(try await CollectorProbe.get(collector, path: "/v1/devices/\(device)",
                                                             timeoutSeconds: timeout, key: key))
            } catch { return .failure(error) }
        }
        let register = "on the collector: sightline-collector devices add NAME \(key.publicKeyBase64)"
        switch lookup {
        case .success(let reply) where reply.status == 200:
            return [.ok("collector", "\(url) is reachable"), .ok("registration", "\(device) is registered")]
        case .success(let reply) where reply.status == 404
            && String(decoding: reply.body, as: UTF8.self).contains("unknown_device"):
            return [.ok("collector", "\(url) is reachable"),
                    .fail("registration", "\(device) is not registered at \(url)", fix: register)]
        case .success(let reply):
            return [.ok("collector", "\(url) is reachable"),
                    .warn("registration", "the collector cannot say whether \(device) is registered "
                              + "(HTTP \(reply.status) for GET /v1/devices/{id})",
                          fix: "upgrade the collector, or check with 'sightline-collector devices list'")]
        case .failure(let error):
            return [.ok("collector", "\(url) is reachable"),
                    .warn("registration", "asking the collector failed: \(error)", fix: "run sightline doctor again")]
        }
    }
}
