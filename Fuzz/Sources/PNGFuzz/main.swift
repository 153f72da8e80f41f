import FuzzSupport
import Imaging
import SightlineCore

// The PNG reader on arbitrary bytes. Invariants: no trap, nothing over the pixel cap, and a success is
// gray or RGB of the size its header declares. The cap is small (4 Mpx) to keep inputs fast.
let maxPixels = 1 << 22

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    guard let image = try? PNGDecoder.decode(bytes, maxPixels: maxPixels) else { return 0 }
    guard image.channels == 1 || image.channels == 3, image.width > 0, image.height > 0,
          image.width * image.height <= maxPixels
    else { fuzzFailure("decoded \(image.width)x\(image.height)x\(image.channels)") }
    return 0
}

/// A minimal PNG of each colour type, built here (the corpus also gets the test fixtures).
func seeds() -> [(name: String, bytes: [UInt8])] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] { be32(body.count) + Array(type.utf8) + body + [0, 0, 0, 0] }
    func adler(_ data: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return be32(Int(b << 16 | a))
    }
    var seeds: [(String, [UInt8])] = []
    for (colorType, samples) in [(0, 1), (2, 3), (3, 1), (4, 2), (6, 4)] {
        let width = 3, height = 2
        var rows: [UInt8] = []
        for y in 0..<height {
            rows.append(UInt8(y % 5))  // filter type
            for x in 0..<(width * samples) { rows.append(UInt8(truncatingIfNeeded: x * 40 + y * 7) % (colorType == 3 ? 2 : 255)) }
        }
        let stored: [UInt8] = [0x78, 0x01, 0x01, UInt8(rows.count & 0xFF), UInt8(rows.count >> 8),
                               UInt8(~rows.count & 0xFF), UInt8(~rows.count >> 8 & 0xFF)] + rows + adler(rows)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(width) + be32(height) + [8, UInt8(colorType), 0, 0, 0])
        if colorType == 3 { png += chunk("PLTE", [10, 20, 30, 200, 100, 50]) }
        png += chunk("IDAT", stored) + chunk("IEND", [])
        seeds.append(("type\(colorType).png", png))
    }
    return seeds
}

runFuzzer(seeds: seeds) { data, size in fuzzOne(data, size) }
