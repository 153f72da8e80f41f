import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// What a hostile or damaged JPEG may not do: allocate from a forged header, or pass damaged data off
/// as a good frame.
@Suite struct JPEGDecoderLimitsTests {
    static let jpeg = try! JPEGEncoder.encode(SyntheticFootage.picture(width: 64, height: 48, index: 1), quality: 90)

    /// A real small JPEG whose SOF claims 65500×65500 (4 GB of RGB) is refused by the cap right after
    /// the header, before any pixel buffer exists (SECURITY-REVIEW F14).
    @Test func forgedHugeFrameIsRefusedAfterTheHeader() throws {
        let forged = JPEGSegments.withFrameSize(Self.jpeg, width: 65500, height: 65500)
        let decoder = JPEGDecoder()
        for gray in [true, false] {
            #expect(throws: JPEGError.tooLarge(width: 65500, height: 65500, maxPixels: JPEGDecoder.defaultMaxPixels)) {
                try decoder.decode(forged, gray: gray)
            }
        }
        #expect(throws: JPEGError.tooLarge(width: 65500, height: 65500, maxPixels: 1 << 20)) {
            try decoder.decodePlanes(forged, minWidth: 640, color: true, maxPixels: 1 << 20)
        }
        let frameDecoder = FrameDecoder(camera: "t", options: .init(minWidth: 640, color: true))
        #expect(throws: FrameDecoder.Error.jpeg(.tooLarge(width: 65500, height: 65500,
                                                          maxPixels: JPEGDecoder.defaultMaxPixels))) {
            try frameDecoder.decode(CapturedFrame(seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0,
                                                  payload: .jpeg(forged)))
        }
        // The decoder is still usable.
        #expect(try decoder.decode(Self.jpeg).image.width == 64)
    }

    @Test func capIsTheCallersAndInclusive() throws {
        let decoder = JPEGDecoder()
        #expect(try decoder.decode(Self.jpeg, maxPixels: 64 * 48).image.width == 64)
        #expect(throws: JPEGError.tooLarge(width: 64, height: 48, maxPixels: 64 * 48 - 1)) {
            try decoder.decode(Self.jpeg, maxPixels: 64 * 48 - 1)
        }
        // Just over the default cap: 8193×8192.
        let over = JPEGSegments.withFrameSize(Self.jpeg, width: 8193, height: 8192)
        #expect(throws: JPEGError.tooLarge(width: 8193, height: 8192, maxPixels: JPEGDecoder.defaultMaxPixels)) {
            try decoder.decode(over, scale: 8, gray: true)
        }
    }

    /// Entropy data cut short by a marker: libjpeg warns (JWRN_HIT_MARKER), fills the rest with grey
    /// and would hand back a frame; that is a corrupt frame.
    @Test func scanCutShortByAMarkerIsCorrupt() throws {
        let start = JPEGSegments.scanStart(Self.jpeg)
        let cut = Array(Self.jpeg[..<(start + (Self.jpeg.count - start) / 3)]) + [0xFF, 0xD9]
        let decoder = JPEGDecoder()
        for gray in [true, false] {
            #expect(throws: JPEGError.corrupt("Corrupt JPEG data: premature end of data segment")) {
                try decoder.decode(cut, gray: gray)
            }
        }
        #expect(throws: JPEGError.corrupt("Corrupt JPEG data: premature end of data segment")) {
            try decoder.decodePlanes(cut, minWidth: 16, color: true)
        }
    }

    /// Damaged entropy data (a bad Huffman code or a restart marker where none belongs) is corrupt too.
    @Test func damagedEntropyDataIsCorrupt() throws {
        let start = JPEGSegments.scanStart(Self.jpeg)
        var markerInside = Self.jpeg
        markerInside[start + 40] = 0xFF
        markerInside[start + 41] = 0xD3  // RST3 inside a scan without restart intervals
        #expect(throws: JPEGError.self) { try JPEGDecoder().decode(markerInside, gray: true) }
        var flippedCount = 0
        for seed in 0..<20 {
            var damaged = Self.jpeg
            for k in 0..<8 {
                let at = start + (seed * 131 + k * 17) % (Self.jpeg.count - start - 2)
                damaged[at] = damaged[at] == 0xFF ? 0x00 : ~damaged[at] & 0xFE  // never create a marker
            }
            do {
                let out = try JPEGDecoder().decode(damaged, gray: true)
                #expect(out.image.width == 64)  // some flips leave a valid (if wrong) bit stream
            } catch {
                flippedCount += 1
            }
        }
        #expect(flippedCount > 0, "no damaged stream was refused")
    }

    @Test func truncatedIsStillTruncated() throws {
        #expect {
            try JPEGDecoder().decode(Array(Self.jpeg.prefix(Self.jpeg.count * 2 / 3)))
        } throws: { error in
            if case .truncated = error as? JPEGError { return true }
            return false
        }
    }
}
