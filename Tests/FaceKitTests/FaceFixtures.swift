import Foundation
import Imaging
import SightlineCore

/// Real-photo golden data recorded from dlib by Tools/reference/record_faces (Golden/faces/faces.json).
enum FaceFixtures {
    static let directory = GoldenData.directory.appendingPathComponent("faces")

    struct Detection: Decodable {
        let box: [Int]
        let score: Double
        let detector: Int
        let landmarks: [[Int]]?
        let chip: String?
    }

    struct Run: Decodable {
        let upsample: Int
        let detections: [Detection]
    }

    struct Fixture: Decodable {
        let name: String
        let file: String
        let width: Int
        let height: Int
        let channels: Int
        let pixels_sha256: String
        let runs: [Run]
    }

    struct Record: Decodable {
        let dlib: String
        let fixtures: [Fixture]
    }

    static func record() throws -> Record {
        let data = try Data(contentsOf: directory.appendingPathComponent("faces.json"))
        return try JSONDecoder().decode(Record.self, from: data)
    }

    /// The fixture decoded with Sightline's JPEG decoder (gray fixtures as one channel).
    static func image(_ fixture: Fixture) throws -> Image {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(fixture.file)))
        return try JPEGDecoder().decode(bytes, scale: 1, gray: fixture.channels == 1).image
    }

    static func pnm(_ file: String) throws -> Image {
        try PNM.decode([UInt8](try Data(contentsOf: directory.appendingPathComponent(file))))
    }
}
