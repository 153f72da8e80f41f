import Foundation
import SightlineTestKit

/// Test vectors in `Vectors/` (recorded by Tools/reference/events/record-vectors.sh).
enum Vectors {
    static func url(_ path: String) -> URL {
        Bundle.module.url(forResource: "Vectors", withExtension: nil)!.appendingPathComponent(path)
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(path))) }

    static func files(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(dir).path).sorted()
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}
