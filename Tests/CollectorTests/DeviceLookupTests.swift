import Collector
import EventLog
import SightlineCore
import Testing

/// `GET /v1/devices/{id}`: what `sightline doctor` asks to learn whether the box is registered.
@Suite struct DeviceLookupTests {
    @Test(arguments: Backend.all)
    func registeredDeviceIs200AndOthers404(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice()
        let known = try await collector.json(.GET, "/v1/devices/\(key.deviceID)")
        #expect(known.status == 200)
        #expect(known.json["id"]?.string == key.deviceID)

        let stranger = DeviceKey.generate().deviceID
        let unknown = try await collector.json(.GET, "/v1/devices/\(stranger)")
        #expect(unknown.status == 404)
        #expect(unknown.json["error"]?["code"]?.string == "unknown_device")
        // Nothing beyond the id is disclosed.
        if case .object(let fields) = known.json { #expect(Set(fields.keys) == ["id"]) }
        // Without a credential: refused. The device itself may ask, signed with its key (what doctor does).
        #expect(try await collector.json(.GET, "/v1/devices/\(key.deviceID)", auth: .none).status == 401)
        func signed(_ path: String, by signer: DeviceKey) -> [(String, String)] {
            RequestSignature.headers(
                key: signer, method: "GET", path: path, bodySHA256: RequestSignature.sha256([]),
                unixSeconds: Clocks.wallNanos() / 1_000_000_000)
        }
        let path = "/v1/devices/\(key.deviceID)"
        #expect(try await collector.json(.GET, path, auth: .none, headers: signed(path, by: key)).status == 200)
        // Another registered device may not look this one up; an unregistered one is told it is unknown.
        let other = try await collector.registerDevice("other")
        #expect(try await collector.json(.GET, path, auth: .none, headers: signed(path, by: other)).status == 403)
        let strangerKey = DeviceKey.generate()
        let strangerPath = "/v1/devices/\(strangerKey.deviceID)"
        let self404 = try await collector.json(
            .GET, strangerPath, auth: .none, headers: signed(strangerPath, by: strangerKey))
        #expect(self404.json["error"]?["code"]?.string == "unknown_device")
    }
}
