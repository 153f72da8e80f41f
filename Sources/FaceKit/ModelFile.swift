#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole model file into memory (model files are tens of megabytes at most).
enum ModelFile {
    static func read(_ path: String) throws(ModelLoadError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ModelLoadError(.unreadable, offset: 0, detail: "cannot open \(path): errno \(errno)")
        }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
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
