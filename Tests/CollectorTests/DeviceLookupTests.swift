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
        // No admin token needed, and nothing beyond the id is disclosed.
        if case .object(let fields) = known.json { #expect(Set(fields.keys) == ["id"]) }
    }
}
