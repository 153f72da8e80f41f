import Synchronization
import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SightlineCore

/// Bearer tokens with roles and device signatures.
extension CollectorRouter {
    enum Access {
        case allowed(Role)
        case denied(Response)
    }

    /// The role of the request's bearer token, when it is one of `allowed`.
    func authorize(_ request: Request, _ allowed: Set<Role>) async throws -> Access {
        guard let token = AccessToken.bearer(request.headers[.authorization]) else {
            return .denied(Self.error(.unauthorized, "this endpoint needs Authorization: Bearer TOKEN"))
        }
        let digest = AccessToken.digest(token)
        var role: Role?
        if let admin = configuration.adminTokenDigest, AccessToken.constantTimeEqual(admin, Array(digest.utf8)) {
            role = .admin
        } else if let record = try await store.token(digest: digest) {
            role = record.role
        }
        guard let role else { return .denied(Self.error(.unauthorized, "unknown or revoked token")) }
        guard allowed.contains(role) else {
            return .denied(Self.error(.forbidden, "the \(role.rawValue) role may not use this endpoint"))
        }
        return .allowed(role)
    }

    enum DeviceAccess {
        case device(DeviceRecord)
        case denied(Response)
    }

    /// The registered, unrevoked device whose signature (`RequestSignature`) the request carries.
    func authenticateDevice(_ request: Request, bodySHA256: String) async throws -> DeviceAccess {
        let h = request.headers
        guard let id = Self.header(h, RequestSignature.deviceHeader),
            let timeText = Self.header(h, RequestSignature.timeHeader),
            let signature = Self.header(h, RequestSignature.signatureHeader)
        else {
            return .denied(
                Self.error(
                    .unauthorized,
                    "this endpoint needs a device signature (\(RequestSignature.deviceHeader), "
                        + "\(RequestSignature.timeHeader), \(RequestSignature.signatureHeader))"))
        }
        guard let seconds = Int64(timeText) else {
            return .denied(Self.error(.unauthorized, "\(RequestSignature.timeHeader) must be Unix seconds"))
        }
        let now = Clocks.wallNanos() / 1_000_000_000
        let (skew, overflow) = now.subtractingReportingOverflow(seconds)
        guard !overflow, skew.magnitude <= UInt64(max(0, configuration.signedRequestWindowSeconds)) else {
            return .denied(Self.error(.unauthorized, "the request's time is not within the collector's window"))
        }
        guard let device = try await store.device(id: id) else {
            return .denied(
                Self.error(.unknownDevice, "device \(Incident.truncated(device: id)) is not registered"))
        }
        guard device.revokedNanos == nil else {
            return .denied(Self.error(.revokedDevice, "device \(device.id) was revoked"))
        }
        guard let key = try? DeviceKey.publicKey(base64: device.publicKey),
            RequestSignature.verify(
                signature: signature, publicKey: key, method: request.method.rawValue, path: request.uri.path,
                unixSeconds: seconds, bodySHA256: bodySHA256)
        else {
            return .denied(Self.error(.unauthorized, "the request's signature does not verify with the key of \(id)"))
        }
        return .device(device)
    }

    /// The value of a header by name (case-insensitive).
    static func header(_ fields: HTTPFields, _ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.canonicalName == lower }?.value
    }

    /// The body, at most `limit` bytes; nil and a 413 reply beyond.
    /// Runs `handle` on the request's body, at most `limit` bytes, held against the collector's budget of
    /// request bodies in memory at once (`maxBufferedBodyBytes`). The budget is taken as bytes arrive, not
    /// from the declared length, so a client that declares a large body and trickles it holds only what it
    /// sent; a body that would overdraw the budget is answered `503 overloaded` with `Retry-After`.
    func withBody(
        _ request: Request, limit: Int, _ handle: ([UInt8]) async throws -> Response
    ) async throws -> Response {
        let tooLarge = Self.error(.bodyTooLarge, "the body is larger than this endpoint's \(limit) bytes")
        if let declared = request.headers[.contentLength] {
            guard let n = Int(declared), n >= 0 else {
                return Self.error(.badRequest, "Content-Length is not a number of bytes")
            }
            guard n <= limit else { return tooLarge }
        }
        var reserved = 0
        defer { bodyBudget.release(reserved) }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            let n = chunk.readableBytes
            guard n <= limit - bytes.count else { return tooLarge }
            guard bodyBudget.reserve(n) else {
                metrics.shed()
                var headers = HTTPFields()
                headers[.retryAfter] = "1"
                return Self.error(
                    .overloaded, "the collector is holding as many request bodies as it may; retry in 1 s",
                    headers: headers)
            }
            reserved += n
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return try await handle(bytes)
    }
}

/// Bytes of request bodies the collector holds at once, across all requests.
final class BodyBudget: Sendable {
    let capacity: Int
    private let used = Mutex<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Takes `n` bytes of the budget; false, taking nothing, when fewer are left.
    func reserve(_ n: Int) -> Bool {
        used.withLock { used in
            guard n <= capacity - used else { return false }
            used += n
            return true
        }
    }

    func release(_ n: Int) { used.withLock { $0 -= n } }

    /// Bytes reserved now.
    var inUse: Int { used.withLock { $0 } }
}
