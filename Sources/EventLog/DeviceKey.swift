import Crypto
import Foundation
import SightlineCore
import SightlineSystem

/// Why a device key could not be loaded or created.
public enum DeviceKeyError: Error, Equatable, Sendable {
    case unreadable(path: String, reason: String)
    case malformed(path: String)
    case insecurePermissions(path: String, mode: UInt16)
    case cannotWrite(path: String, reason: String)
    case badPublicKey(String)
}

/// A device's Ed25519 identity: the private key in a 0600 file in the state directory, the
/// public key that the collector registers, and the device id derived from it.
///
/// The file holds the 32-byte private key seed as base64 on one line. The device id is
/// `sl-` followed by the first 16 bytes of SHA-256(public key) in hex, so it cannot be chosen
/// independently of the key.
///
/// `@unchecked Sendable`: swift-crypto 3 does not mark the key Sendable, but it is an immutable
/// value holding the key bytes; signing reads them only.
public struct DeviceKey: @unchecked Sendable {
    /// File name of the private key inside the state directory.
    public static let fileName = "device.key"

    public let privateKey: Curve25519.Signing.PrivateKey

    public init(privateKey: Curve25519.Signing.PrivateKey) { self.privateKey = privateKey }

    /// A fresh random key.
    public static func generate() -> DeviceKey { DeviceKey(privateKey: .init()) }

    /// The raw 32-byte public key.
    public var publicKeyBytes: [UInt8] { [UInt8](privateKey.publicKey.rawRepresentation) }

    /// The public key as base64, the form `devices add` and `verify --pubkey` take.
    public var publicKeyBase64: String { Encoding.base64(publicKeyBytes) }

    /// The device id derived from the public key.
    public var deviceID: String { Self.deviceID(publicKey: publicKeyBytes) }

    /// The device id for a raw public key.
    public static func deviceID(publicKey: [UInt8]) -> String {
        "sl-" + Encoding.hex(SHA256.hash(data: publicKey).prefix(16))
    }

    /// Parses a base64 raw Ed25519 public key.
    public static func publicKey(base64: String) throws(DeviceKeyError) -> Curve25519.Signing.PublicKey {
        let trimmed = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Encoding.bytes(base64: trimmed), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { throw .badPublicKey(trimmed) }
        return key
    }

    /// Signs `message` (Ed25519, deterministic per RFC 8032 in BoringSSL).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // Curve25519 signing only fails on allocation failure.
        [UInt8](try! privateKey.signature(for: message))
    }

    /// Reads the key at `path`, refusing a file that others can read.
    public static func load(path: String) throws(DeviceKeyError) -> DeviceKey {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        let mode = UInt16(st.st_mode & 0o777)
        guard mode & 0o077 == 0 else { throw .insecurePermissions(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "cannot read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seed = Encoding.bytes(base64: text), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { throw .malformed(path: path) }
        return DeviceKey(privateKey: key)
    }

    /// Loads the key in `stateDirectory`, creating the directory and a new key on first use.
    /// - Returns: the key and whether it was created now.
    public static func loadOrCreate(stateDirectory: String) throws(DeviceKeyError) -> (key: DeviceKey, created: Bool) {
        let path = (stateDirectory as NSString).appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: path) { return (try load(path: path), false) }
        let key = generate()
        try key.write(path: path)
        return (key, true)
    }

    /// Writes the key to a new 0600 file (never overwrites an existing one) and fsyncs it and its directory.
    /// `system` is the syscall funnel (tests inject failures).
    public func write(path: String, system: any FileSystemCalls = PosixFileSystem()) throws(DeviceKeyError) {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch { throw .cannotWrite(path: dir, reason: "\(error)") }
        // Written under a temporary name and linked into place (`DurableFile`, never replacing a key), so a
        // crash never leaves half a key; the file, then the directory, are fsynced.
        let line = Array((Encoding.base64(privateKey.rawRepresentation) + "\n").utf8)
        do {
            try DurableFile.write(line, to: path, mode: 0o600, existing: .keep, system: system)
        } catch {
            throw .cannotWrite(path: error.path, reason: "\(error.call) failed: \(error.errno)")
        }
    }
}
