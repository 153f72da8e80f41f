import Crypto
import SightlineCore

/// A signed tree head in the C2SP tlog-checkpoint format, wrapped in a C2SP signed note.
///
/// Note text: `origin\nsize\nbase64(root)\n`, signed (`SignedNote`) by the device key under the
/// origin as key name.
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin line: `sightline/<device id>`.
    public var origin: String
    public var size: UInt64
    /// The 32-byte Merkle root over the first `size` events' canonical bytes.
    public var root: [UInt8]

    public init(origin: String, size: UInt64, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The origin of a device's log.
    public static func origin(device: String) -> String { "sightline/\(device)" }

    /// The note body that is signed.
    public var text: String { "\(origin)\n\(size)\n\(Encoding.base64(root))\n" }

    /// The full signed note, signed by the device key under the origin's name.
    public func signedNote(key: DeviceKey) -> String {
        SignedNote.sign(text: text, name: origin, key: key.privateKey)
    }

    /// Parses a signed checkpoint and checks its signature by `publicKey` under its origin; nil when
    /// the note is malformed or carries no valid signature of that key.
    public static func verify(note: String, publicKey: Curve25519.Signing.PublicKey) -> Checkpoint? {
        guard let firstLine = note.split(separator: "\n", maxSplits: 1).first else { return nil }
        let origin = String(firstLine)
        guard let text = SignedNote.open(note, name: origin, publicKey: publicKey) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", let size = UInt64(lines[1]),
            let root = Encoding.bytes(base64: String(lines[2])), root.count == 32
        else { return nil }
        return Checkpoint(origin: origin, size: size, root: root)
    }

    /// The body of a `log.checkpoint` event carrying this note.
    public func eventBody(note: String) -> [String: JSONValue] {
        [
            "origin": .string(origin), "size": .int(Int64(size)), "root": .string(Encoding.base64(root)),
            "note": .string(note),
        ]
    }

    /// The event type of checkpoints.
    public static let eventType = DetectionType.logCheckpoint.rawValue
}
