import Foundation
import Imaging
import SightlineCore

/// Reads a JPEG or PNG (by content) or a binary PGM/PPM; `gray` converts to luma.
public func loadImage(_ path: String, gray: Bool) throws -> Image {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
    let bytes = [UInt8](data)
    let image: Image
    do {
        if bytes.count > 2, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            image = try JPEGDecoder().decode(bytes, scale: 1, gray: gray).image
        } else if PNGDecoder.isPNG(bytes) {
            image = try PNGDecoder.decode(bytes)
        } else {
            image = try PNM.decode(bytes)
        }
    } catch {
        throw CLIError("\(path): \(error)")
    }
    if gray, image.channels == 3 { return ColorConversion.luma(of: image) }
    return image
}

/// Escapes a string as a JSON literal.
public func jsonString(_ text: String) -> String {
    let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
