#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole model file into memory (model files are tens of megabytes at most).
enum ModelFile {
    /// The largest model file read. dlib's largest public model (68 landmarks) is about 100 MB.
    static let maxBytes = 256 << 20

    /// The bytes of the regular file at `path`, refused when it is larger than `maxBytes` (checked
    /// before reading, and again while reading in case the file grows) or not a regular file
    /// (`/dev/zero` would never end).
    static func read(_ path: String, maxBytes: Int = maxBytes) throws(ModelLoadError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ModelLoadError(.unreadable, offset: 0, detail: "cannot open \(path): errno \(errno)")
        }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else {
            throw ModelLoadError(.unreadable, offset: 0, detail: "cannot stat \(path): errno \(errno)")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ModelLoadError(.unreadable, offset: 0, detail: "\(path) is not a regular file")
        }
        guard status.st_size <= maxBytes else {
            throw ModelLoadError(.tooLarge, offset: 0,
                                 detail: "\(path) has \(status.st_size) bytes, over the \(maxBytes)-byte model limit")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard got <= maxBytes - bytes.count else {
                throw ModelLoadError(.tooLarge, offset: maxBytes, detail: "\(path) grew past the \(maxBytes)-byte model limit")
            }
            if got > 0 { bytes.append(contentsOf: chunk[0..<got]) }
            if got < chunk.count {
                guard ferror(file) == 0 else {
                    throw ModelLoadError(.unreadable, offset: bytes.count, detail: "read error in \(path)")
                }
                return bytes
            }
        }
    }
}
