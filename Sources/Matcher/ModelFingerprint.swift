import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SHA-256 of a model file, which names the model that made a gallery's templates: `Gallery.enroll`
/// refuses templates whose fingerprint differs from the gallery's.
public enum ModelFingerprint {
    /// Lower-case hex SHA-256 of the file at `path`, read in 1 MiB blocks.
    public static func sha256(ofFile path: String) throws(GalleryError) -> String {
        guard let file = fopen(path, "rb") else { throw .io(path: path, operation: "open", errno: errno) }
        defer { fclose(file) }
        var hasher = SHA256()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = block.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if got > 0 {
                block.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<got])) }
            }
            if got < block.count {
                guard ferror(file) == 0 else { throw .io(path: path, operation: "read", errno: errno) }
                break
            }
        }
        let digits = Array("0123456789abcdef")
        return String(hasher.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
