import Crypto

/// C2SP signed notes with Ed25519 signatures (https://c2sp.org/signed-note).
///
/// A note is its text (ending in a newline), a blank line, and signature lines
/// `— <name> base64(keyID ‖ signature)`; keyID is the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key) and the signature covers the text bytes.
public enum SignedNote {
    /// The Ed25519 algorithm byte of the key ID and verifier keys.
    static let ed25519: UInt8 = 0x01

    /// The 4-byte key ID of an Ed25519 public key under `name`.
    public static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: Array(name.utf8) + [0x0A, ed25519])
        h.update(data: publicKey)
        return Array(h.finalize().prefix(4))
    }

    /// The verifier key string `name+hex(keyID)+base64(0x01 ‖ public key)`.
    public static func verifierKey(name: String, publicKey: [UInt8]) -> String {
        "\(name)+\(Encoding.hex(keyID(name: name, publicKey: publicKey)))+\(Encoding.base64([ed25519] + publicKey))"
    }

    /// Signs `text` (which must end in a newline) as `name`.
    public static func sign(text: String, name: String, key: Curve25519.Signing.PrivateKey) -> String {
        precondition(text.hasSuffix("\n"), "note text ends with a newline")
        let sig = [UInt8](try! key.signature(for: Array(text.utf8)))
        let id = keyID(name: name, publicKey: [UInt8](key.publicKey.rawRepresentation))
        return text + "\n\u{2014} \(name) \(Encoding.base64(id + sig))\n"
    }

    /// The text of `note` when it carries a valid signature by `publicKey` under `name`; nil otherwise.
    public static func open(_ note: String, name: String, publicKey: Curve25519.Signing.PublicKey) -> String? {
        let bytes = Array(note.utf8)
        guard bytes.last == 0x0A else { return nil }
        var split: Int? = nil
        for k in 0..<max(0, bytes.count - 1) where bytes[k] == 0x0A && bytes[k + 1] == 0x0A {
            split = k + 1
            break
        }
        guard let split else { return nil }
        let text = Array(bytes[..<split])
        let id = keyID(name: name, publicKey: [UInt8](publicKey.rawRepresentation))
        for line in String(decoding: bytes[(split + 1)...], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "\u{2014}", parts[1] == name,
                let blob = Encoding.bytes(base64: String(parts[2])), blob.count == 68, Array(blob[0..<4]) == id
            else { continue }
            if publicKey.isValidSignature(Array(blob[4...]), for: text) { return String(decoding: text, as: UTF8.self) }
        }
        return nil
    }
}
