import Crypto
import Foundation
import SightlineCore
import SightlineSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gallery file on disk: `SLGALRY1` followed by a ChaChaPoly sealed box (nonce, ciphertext, tag) of the
/// JSON contents, authenticated together with the magic. The 32-byte key lives in its own file, mode 0600,
/// created on first use.
///
/// Writes are atomic (`DurableFile`): a temporary file beside the gallery (0600, `O_EXCL|O_NOFOLLOW`, an
/// unpredictable name) is written and fsynced, renamed over the gallery, and the directory is fsynced, so a crash leaves the old or the new gallery, never a mix.
/// After an erase the new file simply does not contain the subject; the old file's blocks are released to
/// the file system (whose free space is not scrubbed — full-disk encryption covers that).
struct GalleryFile: Sendable {
    static let magic = Array("SLGALRY1".utf8)

    let path: String
    let keyPath: String

    /// Reads and decrypts the gallery; a missing file is an empty gallery.
    func read() throws(GalleryError) -> GalleryContents {
        guard FileManager.default.fileExists(atPath: path) else { return GalleryContents() }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, operation: "read", errno: errno)
        }
        guard bytes.count > Self.magic.count, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw .badFormat(path: path, "missing SLGALRY1 header")
        }
        let key = try loadKey(create: false)
        let plain: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: bytes.dropFirst(Self.magic.count))
            plain = try ChaChaPoly.open(box, using: key, authenticating: Self.magic)
        } catch {
            throw .cannotDecrypt(path: path)
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode(GalleryContents.self, from: plain)
        } catch {
            throw .badFormat(path: path, "contents do not decode")
        }
    }

    /// Encrypts and writes `contents` atomically.
    func write(_ contents: GalleryContents) throws(GalleryError) {
        let key = try loadKey(create: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let plain: Data
        let sealed: Data
        do {
            plain = try encoder.encode(contents)
            sealed = try ChaChaPoly.seal(plain, using: key, authenticating: Self.magic).combined
        } catch {
            throw .badFormat(path: path, "cannot encode")
        }
        try Self.atomicWrite(path: path, bytes: Self.magic + [UInt8](sealed))
    }

    /// The key, from `keyPath`; created (0600, 32 random bytes) when missing and `create` is set.
    func loadKey(create: Bool) throws(GalleryError) -> SymmetricKey {
        var info = stat()
        if stat(keyPath, &info) != 0 {
            guard errno == ENOENT else { throw .io(path: keyPath, operation: "stat", errno: errno) }
            guard create else { throw .missingKey(path: keyPath) }
            let key = SymmetricKey(size: .bits256)
            let bytes = key.withUnsafeBytes { [UInt8]($0) }
            do { try DurableFile.write(bytes, to: keyPath, existing: .keep) } catch { throw GalleryError(error) }
            return key
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .insecureKeyFile(path: keyPath, mode: String(info.st_mode & 0o777, radix: 8))
        }
        guard let data = FileManager.default.contents(atPath: keyPath), data.count == 32 else {
            throw .badKey(path: keyPath)
        }
        return SymmetricKey(data: data)
    }

    static func atomicWrite(path: String, bytes: [UInt8]) throws(GalleryError) {
        do { try DurableFile.write(bytes, to: path) } catch { throw GalleryError(error) }
    }
}

extension GalleryError {
    /// A failed system call, with the path, the call and its own errno.
    init(_ error: FileSystemError) {
        self = .io(path: error.path, operation: error.call, errno: error.errno.rawValue)
    }
}
