import Crypto
import Foundation

/// Opens a gallery file directly with swift-crypto (independent of `GalleryFile.read`): `SLGALRY2`, the
/// generation (8 bytes), then the sealed box, authenticated with those 16 header bytes.
enum ChaChaPolyOpen {
    static func open(file: Data, key: SymmetricKey) throws -> Data {
        try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: file.dropFirst(16)), using: key,
                            authenticating: file.prefix(16))
    }

    /// The key of a key file (`SLGKEY02`, generation, key).
    static func key(file: Data) -> SymmetricKey { SymmetricKey(data: file.suffix(32)) }

    /// The generation in a gallery or key file header.
    static func generation(_ file: Data) -> UInt64 { file.dropFirst(8).prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
}
