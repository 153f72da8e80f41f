import FuzzSupport
import Imaging
import SightlineCore

// The JPEG decoder on arbitrary bytes, through every entry a frame takes: gray and RGB at a DCT scale,
// and the one-decode luma (+ RGB) path at a minimum width. Invariants: no trap, nothing decoded over the
// pixel cap, a success has the planes its size says, and the luma plane is the same with and without
// colour. The cap is kept small (4 Mpx) so a forged header cannot slow the fuzzer down.
let maxPixels = 1 << 22
// libFuzzer calls back on the thread that started it, one input at a time: one decoder is enough.
nonisolated(unsafe) let decoder = JPEGDecoder()

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let scale = [1, 2, 4, 8][Int(bytes[size - 1] & 3)]
    let minWidth = Int(bytes[size / 2])
    check(try decoder.decode(bytes, scale: scale, gray: true, maxPixels: maxPixels).image, channels: 1)
    check(try decoder.decode(bytes, scale: scale, gray: false, maxPixels: maxPixels).image, channels: 3)
    let grayOnly = try? decoder.decodePlanes(bytes, minWidth: minWidth, color: false, maxPixels: maxPixels)
    let both = try? decoder.decodePlanes(bytes, minWidth: minWidth, color: true, maxPixels: maxPixels)
    if let grayOnly, let both {
        guard grayOnly.gray == both.gray else { fuzzFailure("luma differs with colour") }
        guard let rgb = both.rgb, rgb.width == both.gray.width, rgb.height == both.gray.height else {
            fuzzFailure("RGB plane missing or of another size")
        }
    }
    for planes in [grayOnly, both].compactMap({ $0 }) {
        guard planes.sourceWidth * planes.sourceHeight <= maxPixels else { fuzzFailure("decoded over the cap") }
    }
    return 0
}

func check(_ decode: @autoclosure () throws -> Image, channels: Int) {
    guard let image = try? decode() else { return }
    guard image.channels == channels, image.width > 0, image.height > 0, image.width * image.height <= maxPixels
    else { fuzzFailure("decoded \(image.width)x\(image.height)x\(image.channels)") }
}

/// Small JPEGs of every kind the encoder writes, and the damage the decoder tests use.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var seeds: [(String, [UInt8])] = []
    for (index, (width, height, channels)) in [(16, 16, 3), (33, 17, 3), (8, 8, 1), (64, 48, 3), (20, 9, 1)].enumerated() {
        var image = Image(width: width, height: height, channels: channels)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 37 &+ index &* 11) }
        guard let jpeg = try? JPEGEncoder.encode(image, quality: [50, 90, 75, 20, 100][index]) else { continue }
        seeds.append(("enc-\(width)x\(height)x\(channels).jpg", jpeg))
        if index == 3 {
            seeds.append(("cut.jpg", Array(jpeg.prefix(jpeg.count / 2))))
            seeds.append(("hit-marker.jpg", Array(jpeg.prefix(jpeg.count * 2 / 3)) + [0xFF, 0xD9]))
            var garbage = jpeg
            garbage.insert(contentsOf: [0x00, 0x12, 0x34], at: 20)  // between APP0 and DQT
            seeds.append(("garbage-between-segments.jpg", garbage))
        }
    }
    return seeds
}

runFuzzer(seeds: seeds) { data, size in fuzzOne(data, size) }
