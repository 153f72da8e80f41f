import Crypto
import Foundation
import SightlineCore
import SightlineSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gallery file on disk and its key, with crypto-shredding and rollback refusal.
///
/// Gallery file: `SLGALRY2`, the generation (UInt64, big-endian), then a ChaChaPoly sealed box (nonce, ciphertext,
/// tag) of the JSON contents, authenticated together with those 16 header bytes. Key file (0600): `SLGKEY02`, the
/// same generation, then the 32-byte key.
///
/// Every write rotates: a fresh key sealed under generation + 1 goes to `keyPath.next`, the gallery is rewritten
/// under it, and `keyPath.next` is renamed over `keyPath` (the old key's bytes are overwritten first). So an older
/// copy of the gallery (a backup, a snapshot, unscrubbed blocks) is sealed under a key that no longer exists, and
/// one put back in place is refused by its generation (`GalleryError.rolledBack`) before any decryption is tried.
/// Each file is written with `DurableFile` (temporary file, fsync, rename, directory fsync); a crash at any point
/// leaves a gallery that one of the two key files opens, and the next write completes or discards the rotation.
///
/// Migration: a `SLGALRY1` gallery (no generation, authenticated with the magic alone) with a bare 32-byte key
/// file is generation 0; its next write moves it to the current format at generation 1.
struct GalleryFile: Sendable {
    static let magic = Array("SLGALRY2".utf8)
    static let legacyMagic = Array("SLGALRY1".utf8)
    static let keyMagic = Array("SLGKEY02".utf8)
    /// Largest gallery file read (about 10⁵ templates of 128 floats as JSON, with room to spare).
    static let maxFileBytes = 1 << 30

    let path: String
    let keyPath: String
    /// Where a rotation's new key waits until the gallery sealed under it is durable.
    var pendingKeyPath: String { keyPath + ".next" }

    /// The decrypted contents and the generation they were sealed under.
    struct Snapshot: Sendable, Equatable {
        var contents: GalleryContents
        var generation: UInt64
    }

    /// A key and its generation.
    struct Key {
        var key: SymmetricKey
        var generation: UInt64
    }

    /// Reads and decrypts the gallery; a missing file is an empty gallery at the key's generation.
    /// Refuses a gallery older than its key (`rolledBack`) and one newer than both key files (`staleKey`).
    func read() throws(GalleryError) -> Snapshot {
        guard let bytes = try Self.readIfPresent(path, limit: Self.maxFileBytes) else {
            return Snapshot(contents: GalleryContents(), generation: try loadKey()?.generation ?? 0)
        }
        let (generation, header) = try Self.header(of: bytes, path: path)
        let key = try key(for: generation)
        let plain: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: bytes.dropFirst(header.count))
            plain = try ChaChaPoly.open(box, using: key, authenticating: header)
        } catch {
            throw .cannotDecrypt(path: path)
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return Snapshot(contents: try decoder.decode(GalleryContents.self, from: plain), generation: generation)
        } catch {
            throw .badFormat(path: path, "contents do not decode")
        }
    }

    /// The generation and the authenticated header bytes of a gallery file.
    static func header(of bytes: [UInt8], path: String) throws(GalleryError) -> (UInt64, [UInt8]) {
        if bytes.count > legacyMagic.count, Array(bytes.prefix(legacyMagic.count)) == legacyMagic {
            return (0, legacyMagic)
        }
        guard bytes.count > magic.count + 8, Array(bytes.prefix(magic.count)) == magic else {
            throw .badFormat(path: path, "missing SLGALRY2 header")
        }
        return (bigEndian(bytes[magic.count..<magic.count + 8]), Array(bytes.prefix(magic.count + 8)))
    }

    /// The key that seals generation `generation`: the key file's, or a pending rotation's.
    private func key(for generation: UInt64) throws(GalleryError) -> SymmetricKey {
        // A pending key of this generation means the rotation that wrote this file did not finish.
        if let pending = try Self.readKey(pendingKeyPath, required: false), pending.generation == generation {
            return pending.key
        }
        guard let current = try loadKey() else { throw .missingKey(path: keyPath) }
        if generation < current.generation {
            throw .rolledBack(path: path, generation: generation, current: current.generation)
        }
        if generation > current.generation {
            throw .staleKey(path: keyPath, generation: current.generation, gallery: generation)
        }
        return current.key
    }

    /// Encrypts `contents` under a fresh key at generation `after + 1` and replaces the gallery and its key
    /// (see the type's documentation). `after` is the generation the caller read, under the gallery's lock.
    func write(_ contents: GalleryContents, after generation: UInt64) throws(GalleryError) {
        try finishRotation(at: generation)
        let (next, overflow) = generation.addingReportingOverflow(1)
        guard !overflow else { throw .badFormat(path: path, "generation counter exhausted") }
        let key = SymmetricKey(size: .bits256)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let header = Self.magic + Self.bigEndianBytes(next)
        let sealed: Data
        do {
            let plain = try encoder.encode(contents)
            sealed = try ChaChaPoly.seal(plain, using: key, authenticating: header).combined
        } catch {
            throw .badFormat(path: path, "cannot encode")
        }
        do {
            // 1. The new key, beside the old one; 2. the gallery under it; 3. the new key replaces the old.
            try DurableFile.write(Self.keyFileBytes(key, generation: next), to: pendingKeyPath)
            try DurableFile.write(header + [UInt8](sealed), to: path)
        } catch {
            throw GalleryError(error)
        }
        try finishRotation(at: next)
    }

    /// Completes a rotation whose gallery is durable at `generation`: the pending key of that generation replaces
    /// the key file, whose old bytes are overwritten first. A pending key of another generation (a rotation that
    /// stopped before its gallery was written) is removed. Call under the gallery's lock.
    private func finishRotation(at generation: UInt64) throws(GalleryError) {
        guard let pending = try Self.readKey(pendingKeyPath, required: false) else { return }
        let system = PosixFileSystem()
        if pending.generation == generation {
            do throws(FileSystemError) { try Self.overwrite(keyPath) } catch { throw GalleryError(error) }
            do throws(Errno) { try system.rename(pendingKeyPath, keyPath) } catch {
                throw .io(path: keyPath, operation: "rename", errno: error.rawValue)
            }
        } else {
            do throws(Errno) { try system.unlink(pendingKeyPath) } catch {
                throw .io(path: pendingKeyPath, operation: "unlink", errno: error.rawValue)
            }
        }
        do { try DurableFile.syncDirectory(DurableFile.directoryName(of: keyPath)) } catch { throw GalleryError(error) }
    }

    /// Overwrites the key file at `path` with zeros and syncs it, so that its old bytes do not linger in the
    /// blocks that a rename releases (on file systems that write in place; copy-on-write file systems and SSD
    /// wear levelling may keep copies: full-disk encryption covers those). A missing file is fine.
    private static func overwrite(_ path: String) throws(FileSystemError) {
        let file: FileDescriptor
        do {
            file = try FileDescriptor(opening: path, flags: O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        } catch {
            guard error.errno == .noSuchFile else { throw error }
            return
        }
        var st = stat()
        guard fstat(file.rawValue, &st) == 0 else { throw FileSystemError(path: path, call: "fstat", errno: .current) }
        // A key file is a few dozen bytes and the key sits at its start: whatever the size on disk says, zero at
        // most the first 4 KiB rather than allocate what a damaged or hostile file claims.
        try file.writeAll([UInt8](repeating: 0, count: Int(min(max(0, st.st_size), 4096))))
        try file.sync()
        try file.close()
    }

    /// The gallery key, or nil when the key file does not exist.
    func loadKey() throws(GalleryError) -> Key? {
        try Self.readKey(keyPath, required: false)
    }

    /// Reads a key file: `SLGKEY02`, generation, key; or a bare 32-byte key (generation 0). Refuses a file that
    /// group or others may read. Nil when it does not exist and is not `required`.
    static func readKey(_ path: String, required: Bool) throws(GalleryError) -> Key? {
        let file: FileDescriptor
        do {
            file = try FileDescriptor(opening: path, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        } catch {
            if error.errno == .noSuchFile && !required { return nil }
            if error.errno == .noSuchFile { throw .missingKey(path: path) }
            throw GalleryError(error)
        }
        var st = stat()
        guard fstat(file.rawValue, &st) == 0 else { throw .io(path: path, operation: "fstat", errno: errno) }
        guard st.st_mode & 0o077 == 0 else {
            throw .insecureKeyFile(path: path, mode: String(st.st_mode & 0o777, radix: 8))
        }
        let bytes: [UInt8]
        do { bytes = try file.readAll(limit: 64) } catch { throw GalleryError(error) }
        if bytes.count == 32 { return Key(key: SymmetricKey(data: bytes), generation: 0) }
        guard bytes.count == keyMagic.count + 8 + 32, Array(bytes.prefix(keyMagic.count)) == keyMagic else {
            throw .badKey(path: path)
        }
        return Key(key: SymmetricKey(data: bytes.suffix(32)), generation: bigEndian(bytes[8..<16]))
    }

    static func keyFileBytes(_ key: SymmetricKey, generation: UInt64) -> [UInt8] {
        keyMagic + bigEndianBytes(generation) + key.withUnsafeBytes { [UInt8]($0) }
    }

    /// The whole file, or nil when it does not exist; larger than `limit` is an error.
    static func readIfPresent(_ path: String, limit: Int) throws(GalleryError) -> [UInt8]? {
        do {
            let file = try FileDescriptor(opening: path, flags: O_RDONLY | O_CLOEXEC)
            return try file.readAll(limit: limit)
        } catch {
            if error.call == "open" && error.errno == .noSuchFile { return nil }
            throw GalleryError(error)
        }
    }

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }

    static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}

extension GalleryError {
    /// A failed system call, with the path, the call and its own errno.
    init(_ error: FileSystemError) {
        self = .io(path: error.path, operation: error.call, errno: error.errno.rawValue)
    }
}
