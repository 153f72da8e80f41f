import Crypto

/// A device's signature over one HTTP request (an evidence upload, a registration lookup), so the collector
/// can tell which registered device sent it without a token: Ed25519 with the device key over
/// `sightline-request-v1\nMETHOD\nPATH\nUNIX_SECONDS\nHEX_SHA256_OF_BODY`, sent in three headers.
public enum RequestSignature {
    public static let deviceHeader = "X-Sightline-Device"
    public static let timeHeader = "X-Sightline-Time"
    public static let signatureHeader = "X-Sightline-Signature"

    /// The signed bytes.
    public static func message(method: String, path: String, unixSeconds: Int64, bodySHA256: String) -> [UInt8] {
        Array("sightline-request-v1\n\(method)\n\(path)\n\(unixSeconds)\n\(bodySHA256)".utf8)
    }

    /// The three headers (name, value) of a request signed by `key`.
    public static func headers(
        key: DeviceKey, method: String, path: String, bodySHA256: String, unixSeconds: Int64
    ) -> [(String, String)] {
        let sig = key.sign(message(method: method, path: path, unixSeconds: unixSeconds, bodySHA256: bodySHA256))
        return [
            (deviceHeader, key.deviceID), (timeHeader, String(unixSeconds)), (signatureHeader, Encoding.base64(sig)),
        ]
    }

    /// Hex SHA-256 of a body.
    public static func sha256(_ body: [UInt8]) -> String { Encoding.hex(SHA256.hash(data: body)) }

    /// Whether `signature` (base64) is `publicKey`'s signature of the request.
    public static func verify(
        signature: String, publicKey: Curve25519.Signing.PublicKey, method: String, path: String, unixSeconds: Int64,
        bodySHA256: String
    ) -> Bool {
        guard let sig = Encoding.bytes(base64: signature), sig.count == 64 else { return false }
        return publicKey.isValidSignature(
            sig, for: message(method: method, path: path, unixSeconds: unixSeconds, bodySHA256: bodySHA256))
    }
}

/// JPEG checks for evidence blobs.
public enum JPEGEvidence {
    /// Whether `data` starts with the SOI marker and a marker after it, and ends with EOI.
    public static func looksLikeJPEG(_ data: [UInt8]) -> Bool {
        data.count >= 6 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF && data[data.count - 2] == 0xFF
            && data[data.count - 1] == 0xD9
    }
}
