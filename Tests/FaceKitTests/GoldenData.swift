import Foundation

/// Golden outputs recorded from dlib by Tools/reference/record (see its README).
enum GoldenData {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    struct Descriptors: Decodable {
        struct Chip: Decodable {
            let name: String
            let file: String
            let descriptor: [Float]
        }
        let dlib: String
        let chips: [Chip]
    }

    static func descriptors() throws -> Descriptors {
        let data = try Data(contentsOf: directory.appendingPathComponent("descriptors.json"))
        return try JSONDecoder().decode(Descriptors.self, from: data)
    }

    /// A binary PPM (P6) or PGM (P5) with maxval 255: (width, height, channels, interleaved bytes).
    static func pnm(_ file: String) throws -> (width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        let data = [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
        var fields: [String] = []
        var index = 0
        while fields.count < 4 {
            while index < data.count, data[index] == 0x20 || data[index] == 0x0a { index += 1 }
            let start = index
            while index < data.count, data[index] != 0x20, data[index] != 0x0a { index += 1 }
            fields.append(String(decoding: data[start..<index], as: UTF8.self))
        }
        index += 1  // the single whitespace after maxval
        guard fields[0] == "P6" || fields[0] == "P5", fields[3] == "255",
              let width = Int(fields[1]), let height = Int(fields[2])
        else { throw CocoaError(.fileReadCorruptFile) }
        let channels = fields[0] == "P6" ? 3 : 1
        guard data.count - index == width * height * channels else { throw CocoaError(.fileReadCorruptFile) }
        return (width, height, channels, Array(data[index...]))
    }
}
