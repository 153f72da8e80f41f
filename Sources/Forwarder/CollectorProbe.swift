import AsyncHTTPClient
import EventLog
import NIOCore
import SightlineCore

/// One GET to the collector with the forwarder's TLS settings (the pinned certificate), for health checks
/// such as `sightline doctor`: nothing is sent, no spool is opened.
public enum CollectorProbe {
    /// `GET {collectorURL}{path}`, waiting at most `timeoutSeconds` in all. Returns the status and the first
    /// 64 KiB of the body. With `key`, the request is signed by the device (`RequestSignature`), which lets a
    /// device look itself up at the collector without a token.
    ///
    /// - Throws: `ForwarderError.badPin` for an unreadable pinned certificate, `.transport` when the
    ///   collector cannot be reached or does not answer in time.
    public static func get(
        _ configuration: ForwarderConfiguration, path: String, timeoutSeconds: Double, key: DeviceKey? = nil
    ) async throws(ForwarderError) -> (status: Int, body: [UInt8])
    {
        var settings = configuration
        settings.requestTimeoutSeconds = timeoutSeconds
        let seconds = Int64(max(1, timeoutSeconds.rounded(.up)))
        let client = try Forwarder.makeClient(settings, connectTimeoutSeconds: seconds)
        var base = configuration.collectorURL
        while base.hasSuffix("/") { base.removeLast() }
        let result: Result<(Int, [UInt8]), ForwarderError>
        do {
            var request = HTTPClientRequest(url: base + path)
            if let key {
                for (name, value) in RequestSignature.headers(
                    key: key, method: "GET", path: path, bodySHA256: RequestSignature.sha256([]),
                    unixSeconds: Clocks.wallNanos() / 1_000_000_000)
                {
                    request.headers.add(name: name, value: value)
                }
            }
            let response = try await client.execute(request, timeout: .seconds(seconds))
            var buffer = try await response.body.collect(upTo: 64 << 10)
            result = .success((Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? []))
        } catch {
            result = .failure(.transport("\(error)"))
        }
        try? await client.shutdown()
        return try result.get()
    }
}
