import Crypto
import Foundation

/// Opens a gallery's sealed box directly with swift-crypto (independent of `GalleryFile.read`).
enum ChaChaPolyOpen {
    static func open(_ combined: Data, key: SymmetricKey) throws -> Data {
        try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: combined), using: key,
                            authenticating: Array("SLGALRY1".utf8))
    }
}
