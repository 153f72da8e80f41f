import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import Imaging
import Logging
import NIOCore
import SightlineCore

/// Evidence blobs and devices.
extension CollectorRouter {
    /// The media type evidence is served and exported under, from its bytes: `video/x-motion-jpeg` for a crossing's
    /// clip (more than one whole JPEG back to back, `MotionJPEG.isClip`, the test the daemon labels it by),
    /// `image/jpeg` otherwise. Never a type a device names: a blob is only ever one of these two.
    static func evidenceMediaType(_ bytes: [UInt8]) -> String {
        MotionJPEG.isClip(bytes) ? MotionJPEG.mediaType : "image/jpeg"
    }

    /// The headers of an evidence blob's body: its media type (`evidenceMediaType`), never sniffed, never run as
    /// a page, and a file name of the right extension.
    static func evidenceHeaders(_ bytes: [UInt8], sha: String) -> HTTPFields {
        let type = evidenceMediaType(bytes)
        return [
            .contentType: type, .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
            .contentDisposition: "inline; filename=\"\(sha).\(type == MotionJPEG.mediaType ? "mjpeg" : "jpg")\"",
        ]
    }

    /// `PUT /v1/evidence/{sha256}`: a JPEG, or a clip of JPEGs, from a registered device, signed by it
    /// (`RequestSignature`).
    func putEvidence(_ request: Request, sha: String) async throws -> Response {
        guard Encoding.isSHA256Hex(sha) else {
            return Self.error(.badRequest, "evidence is named by the lowercase hex SHA-256 of its bytes")
        }
        let device: DeviceRecord
        switch try await authenticateDevice(request, bodySHA256: sha) {
        case .device(let d): device = d
        case .denied(let r): return r
        }
        if let wait = deviceLimit.take("device:" + device.id, nowNanos: Clocks.monotonicNanos()) {
            return Self.tooMany(wait, "this device")
        }
        return try await withBody(request, limit: configuration.maxEvidenceBytes) { bytes in
            try await storeEvidence(bytes, sha: sha, device: device)
        }
    }

    private func storeEvidence(_ bytes: [UInt8], sha: String, device: DeviceRecord) async throws -> Response {
        guard RequestSignature.sha256(bytes) == sha else {
            let e = IngestError(.evidenceMismatch, "evidence bytes do not hash to \(sha)")
            metrics.refused(e.code)
            try await store.recordIncident(
                Incident(
                    device: device.id, seq: nil, code: e.code.rawValue, message: e.message,
                    receivedNanos: Clocks.wallNanos()))
            return Self.error(e.code, e.message)
        }
        guard JPEGEvidence.looksLikeJPEG(bytes) else {
            metrics.refused(.badEvidence)
            return Self.error(.badEvidence, "evidence must be a JPEG image (SOI ... EOI)")
        }
        try await store.putEvidence(
            sha256: sha, mediaType: Self.evidenceMediaType(bytes), data: bytes, receivedNanos: Clocks.wallNanos())
        metrics.evidenceStored()
        return Self.json(.object(["sha256": .string(sha), "status": .string("stored")]))
    }

    /// `GET /v1/evidence/{sha256}`: reviewer and admin any blob; traffic only blobs that traffic or system events
    /// name and no face event does. `image/jpeg`, or `video/x-motion-jpeg` for a clip (`evidenceHeaders`).
    func getEvidence(_ request: Request, sha: String) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let notFound = Self.error(.notFound, "no evidence \(Incident.truncated(device: sha))")
        guard Encoding.isSHA256Hex(sha) else { return notFound }
        // A limited role sees a blob that one of its types names and no other type does: a device cannot
        // launder another event's face evidence to a traffic token by naming its digest in a traffic event.
        if let prefixes = role.visibleTypePrefixes {
            guard try await store.evidenceReferenced(sha256: sha, typePrefixes: prefixes),
                !(try await store.evidenceReferencedOutside(sha256: sha, typePrefixes: prefixes))
            else { return notFound }
        }
        guard let e = try await store.evidence(sha256: sha) else { return notFound }
        return Response(
            status: .ok, headers: Self.evidenceHeaders(e.data, sha: sha),
            body: .init(byteBuffer: ByteBuffer(bytes: e.data)))
    }

    /// `GET /v1/devices/{id}`: whether a device is registered (for `sightline doctor`), to any token or to
    /// the device itself (signed).
    func lookupDevice(_ request: Request, id: String) async throws -> Response {
        let unknown = Self.error(.unknownDevice, "device \(Incident.truncated(device: id)) is not registered")
            .withStatus(.notFound)
        let claimed = Self.header(request.headers, RequestSignature.deviceHeader)
        if let claimed {
            // A device asking about itself learns that it is not registered (it cannot sign as a known key).
            if claimed == id, try await store.device(id: id) == nil { return unknown }
            switch try await authenticateDevice(request, bodySHA256: RequestSignature.sha256([])) {
            case .device(let d) where d.id == id: break
            case .device: return Self.error(.forbidden, "a device may look up only itself")
            case .denied(let r): return r
            }
        } else if case .denied(let r) = try await authorize(request, [.admin, .reviewer, .traffic]) {
            return r
        }
        guard let device = try await store.device(id: id) else { return unknown }
        var o: [String: JSONValue] = ["id": .string(id)]
        if let r = device.revokedNanos { o["revoked"] = .string(Timestamp.rfc3339(wallNanos: r)) }
        return Self.json(.object(o))
    }

    func addDevice(_ request: Request) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin]) { return r }
        return try await withBody(request, limit: configuration.maxSmallBodyBytes) { bytes in
            try await register(bytes)
        }
    }

    private func register(_ bytes: [UInt8]) async throws -> Response {
        guard case .object(let o)? = try? JSONParser.parse(bytes),
            case .string(let name)? = o["name"],
            case .string(let key)? = o["public_key"]
        else {
            return Self.error(.badRequest, "the body must be {\"name\": ..., \"public_key\": ...}")
        }
        guard DisplayName.isValid(name) else { return Self.error(.badRequest, DisplayName.rule("device")) }
        do {
            let record = try await Self.register(store: store, name: name, publicKey: key)
            return Self.json(.object(["id": .string(record.id), "name": .string(name)]), status: .created)
        } catch let e as StoreError {
            return Self.error(.duplicateDevice, "\(e)")
        } catch {
            return Self.error(.badPublicKey, "public_key must be a raw 32-byte Ed25519 key in base64")
        }
    }

    /// Registers a device from its base64 public key; the id is derived from the key.
    public static func register(store: any CollectorStore, name: String, publicKey: String) async throws -> DeviceRecord
    {
        let key = try DeviceKey.publicKey(base64: publicKey)
        let raw = [UInt8](key.rawRepresentation)
        let record = DeviceRecord(
            id: DeviceKey.deviceID(publicKey: raw), name: name, publicKey: Encoding.base64(raw),
            addedNanos: Clocks.wallNanos())
        try await store.addDevice(record)
        return record
    }
}
