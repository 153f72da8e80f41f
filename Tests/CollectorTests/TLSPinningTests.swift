import Collector
import EventLog
import Forwarder
import Foundation
import Logging
import SightlineTestKit
import Testing

/// The forwarder trusts exactly the pinned collector certificate.
@Suite struct TLSPinningTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made with openssl.
    static func selfSigned(in dir: String, name: String) throws -> (cert: String, key: String) {
        let made = try TestCertificate.selfSigned(in: dir, name: name, alternativeNames: ["IP:127.0.0.1"])
        return (made.certificate, made.key)
    }

    @Test func onlyThePinnedCertificateIsTrusted() async throws {
        let dir = temporaryDirectory("tls")
        let real = try Self.selfSigned(in: dir, name: "collector")
        let impostor = try Self.selfSigned(in: dir, name: "impostor")
        let collector = try await LiveCollector(backend: .sqlite, tlsCertificate: real.cert, tlsKey: real.key)
        try await collector.start()
        let key = try await collector.registerDevice()
        let log = try makeLog(key: key)
        _ = try log.emit(camera: "c", type: "frame.stats", body: [:])
        var logger = Logger(label: "test.tls")
        logger.logLevel = .critical
        func forwarder(pin: String?, timeout: Double = 1) throws -> Forwarder {
            try Forwarder(
                configuration: ForwarderConfiguration(
                    collectorURL: collector.url, requestTimeoutSeconds: timeout,
                    pinnedCertificatePath: pin),
                spool: log.spool, key: log.key, logger: logger)
        }
        // Not pinned: a self-signed collector is not trusted by the system roots.
        let unpinned = try forwarder(pin: nil)
        await #expect(throws: ForwarderError.self) { try await unpinned.deliverBatch() }
        await unpinned.shutdown()
        // Pinned to another certificate: refused.
        let wrong = try forwarder(pin: impostor.cert)
        await #expect(throws: ForwarderError.self) { try await wrong.deliverBatch() }
        await wrong.shutdown()
        #expect(try log.spool.pendingCount() == 1)
        // Pinned to the collector's certificate: delivered.
        // A long timeout: in the full suite the in-process collector may wait a while for a cooperative thread.
        let pinned = try forwarder(pin: real.cert, timeout: 60)
        let delivered = await pinned.deliverBatchThenShutdown()
        #expect(try delivered.get() == 1)
        #expect(try log.spool.pendingCount() == 0)
        #expect(throws: ForwarderError.self) { try forwarder(pin: dir + "/missing.pem") }
        await collector.stop()
        try await collector.store.close()
    }
}
