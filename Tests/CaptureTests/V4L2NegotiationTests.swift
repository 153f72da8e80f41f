import Foundation
@testable import Capture
import SightlineCore
import Testing

@Suite struct V4L2NegotiationTests {
    private func entry(_ fourcc: V4L2FourCC, emulated: Bool = false) -> V4L2FormatEntry {
        V4L2FormatEntry(fourcc: fourcc, description: "", compressed: fourcc.isJPEG, emulated: emulated)
    }

    @Test func formatPreferenceOrder() {
        let order = V4L2FourCC.preferenceOrder
        #expect(V4L2Negotiation.chooseFormat(from: [entry(.yuyv), entry(.mjpeg)], preference: order)?.fourcc == .mjpeg)
        #expect(V4L2Negotiation.chooseFormat(from: [entry(.nv12), entry(.yuyv)], preference: order)?.fourcc == .yuyv)
        #expect(V4L2Negotiation.chooseFormat(from: [entry(.yu12), entry(.grey)], preference: order)?.fourcc == .grey)
        #expect(V4L2Negotiation.chooseFormat(from: [entry(.jpeg), entry(.yuyv)], preference: order)?.fourcc == .jpeg)
        #expect(V4L2Negotiation.chooseFormat(from: [entry(.mjpeg, emulated: true), entry(.yu12)],
                                             preference: order)?.fourcc == .yu12)
        #expect(V4L2Negotiation.chooseFormat(from: [entry(V4L2FourCC("H264"))], preference: order) == nil)
    }

    @Test func closestDiscreteSize() {
        let sizes: [V4L2FrameSize] = [.discrete(width: 640, height: 480), .discrete(width: 1280, height: 720),
                                      .discrete(width: 1920, height: 1080)]
        #expect(V4L2Negotiation.chooseSize(from: sizes, width: 1000, height: 600)! == (1280, 720))
        #expect(V4L2Negotiation.chooseSize(from: sizes, width: 320, height: 240)! == (640, 480))
        #expect(V4L2Negotiation.chooseSize(from: sizes, width: 4000, height: 3000)! == (1920, 1080))
        #expect(V4L2Negotiation.chooseSize(from: [], width: 4000, height: 3000) == nil)
    }

    @Test func closestStepwiseSize() {
        let range = V4L2FrameSize.stepwise(minWidth: 160, maxWidth: 1920, stepWidth: 16,
                                           minHeight: 120, maxHeight: 1080, stepHeight: 8)
        #expect(range.closest(toWidth: 1001, height: 565) == (1008, 568))
        #expect(range.closest(toWidth: 1000, height: 564) == (992, 560))
        #expect(range.closest(toWidth: 999, height: 561) == (992, 560))
        #expect(range.closest(toWidth: 100, height: 5000) == (160, 1080))
    }

    @Test func closestFrameInterval() {
        let discrete = V4L2FrameIntervals.discrete([V4L2Fraction(1, 30), V4L2Fraction(1, 15), V4L2Fraction(1, 5)])
        #expect(discrete.closest(toFramesPerSecond: 20) == V4L2Fraction(1, 15))
        #expect(discrete.closest(toFramesPerSecond: 60) == V4L2Fraction(1, 30))
        let stepwise = V4L2FrameIntervals.stepwise(min: V4L2Fraction(1, 60), max: V4L2Fraction(1, 1),
                                                   step: V4L2Fraction(1, 60))
        #expect(stepwise.closest(toFramesPerSecond: 25) == V4L2Fraction(1000, 25000))
        #expect(stepwise.closest(toFramesPerSecond: 120) == V4L2Fraction(1000, 60000))
        #expect(discrete.description == "30 fps, 15 fps, 5 fps")
        #expect(V4L2FrameIntervals.discrete([V4L2Fraction(1001, 30000)]).description == "30 fps")
        #expect(V4L2FrameIntervals.discrete([V4L2Fraction(2, 15)]).description == "7.5 fps")
    }

    @Test func nv12RowsArePackedWithoutPadding() {
        // 4x2 NV12 with 6-byte rows: two luma rows, one interleaved UV row, 2 bytes of padding each.
        let padded: [UInt8] = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0, 9, 10, 11, 12, 0, 0]
        let format = V4L2Source.Negotiated(devicePath: "", fourcc: .nv12, width: 4, height: 2, bytesPerLine: 6,
                                           frameInterval: nil, bufferCount: 4)
        let payload = padded.withUnsafeBytes { V4L2Source.payload(from: $0, format: format) }
        #expect(payload == .raw(format: .nv12, width: 4, height: 2, bytes: Array(1...12)))
    }

    @Test func yu12ChromaPlanesUseHalfTheLumaStride() {
        // 4x2 YU12 with 8-byte luma rows: U and V rows are 4 bytes apart (2 data + 2 padding).
        let padded: [UInt8] = [1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0, 9, 10, 0, 0, 11, 12, 0, 0]
        let format = V4L2Source.Negotiated(devicePath: "", fourcc: .yu12, width: 4, height: 2, bytesPerLine: 8,
                                           frameInterval: nil, bufferCount: 4)
        let payload = padded.withUnsafeBytes { V4L2Source.payload(from: $0, format: format) }
        #expect(payload == .raw(format: .i420, width: 4, height: 2, bytes: Array(1...12)))
        let short = Array(padded.prefix(20))
        #expect(short.withUnsafeBytes { V4L2Source.payload(from: $0, format: format) } == nil)
    }

    @Test func fourccCodesAsItsCharacters() throws {
        let json = try JSONEncoder().encode([V4L2FourCC.mjpeg])
        #expect(String(decoding: json, as: UTF8.self) == #"["MJPG"]"#)
        #expect(try JSONDecoder().decode([V4L2FourCC].self, from: json) == [.mjpeg])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([V4L2FourCC].self, from: Data(#"["MJPEG"]"#.utf8))
        }
    }
}
