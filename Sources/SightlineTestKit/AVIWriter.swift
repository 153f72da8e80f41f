/// Builds small RIFF AVI files with Motion JPEG video for tests, in the layouts cameras, OpenCV
/// and ffmpeg produce, plus the damage they sometimes show.
///
/// Header fields follow the AVI 1.0 / OpenDML layouts (`avih` 56 bytes, `strh` 56, `strf` as
/// BITMAPINFOHEADER or WAVEFORMATEX); only what readers use is filled in meaningfully.
public struct AVIWriter: Sendable {
    /// Frame rate as dwRate/dwScale of the video `strh`.
    public var rate: UInt32
    public var scale: UInt32
    public var width: Int
    public var height: Int
    /// Compression FourCC of the video stream.
    public var codec: String
    /// Adds a PCM audio stream whose chunks (odd-sized, 7 bytes) are interleaved with the video.
    public var audio: Bool
    /// Declares the audio stream first, so that video is stream 1 (`01dc` chunks).
    public var audioFirst: Bool
    /// Groups each video chunk (with its audio) into a `LIST rec ` as some cameras do.
    public var recLists: Bool
    /// Writes `idx1` after `movi`.
    public var index: Bool
    /// Leaves out pad bytes after odd-sized chunks, as some broken writers do.
    public var omitPadding: Bool
    /// When set, frames from this number on go into an OpenDML `RIFF AVIX` continuation.
    public var openDMLSplit: Int?

    public init(rate: UInt32 = 10, scale: UInt32 = 1, width: Int = 64, height: Int = 48, codec: String = "MJPG",
                audio: Bool = false, audioFirst: Bool = false, recLists: Bool = false, index: Bool = true,
                omitPadding: Bool = false, openDMLSplit: Int? = nil) {
        self.rate = rate
        self.scale = scale
        self.width = width
        self.height = height
        self.codec = codec
        self.audio = audio
        self.audioFirst = audioFirst
        self.recLists = recLists
        self.index = index
        self.omitPadding = omitPadding
        self.openDMLSplit = openDMLSplit
    }

    /// The whole file with one video chunk per element of `frames` (an empty element is a
    /// zero-sized "dropped frame" chunk).
    public func file(frames: [[UInt8]]) -> [UInt8] {
        let videoStream = audio && audioFirst ? 1 : 0
        let videoID = String(format2: videoStream) + "dc"
        let audioID = String(format2: 1 - videoStream) + "wb"
        let split = min(openDMLSplit ?? frames.count, frames.count)

        var streams: [[UInt8]] = []
        let video = list("strl", chunk("strh", videoHeader(length: frames.count))
                         + chunk("strf", bitmapInfo()))
        let sound = list("strl", chunk("strh", audioHeader()) + chunk("strf", waveFormat()))
        streams = audio ? (audioFirst ? [sound, video] : [video, sound]) : [video]
        let hdrl = list("hdrl", chunk("avih", mainHeader(frames: frames.count, streams: streams.count))
                        + streams.joined())

        func movi(_ part: ArraySlice<[UInt8]>) -> (bytes: [UInt8], entries: [(String, Int, Int)]) {
            var body: [UInt8] = []
            var entries: [(String, Int, Int)] = []
            for jpeg in part {
                var group = chunk(videoID, jpeg)
                entries.append((videoID, 4 + body.count, jpeg.count))
                if audio {
                    let pcm: [UInt8] = [1, 2, 3, 4, 5, 6, 7]
                    entries.append((audioID, 4 + body.count + group.count, pcm.count))
                    group += chunk(audioID, pcm)
                }
                body += recLists ? list("rec ", group) : group
            }
            return (list("movi", body), entries)
        }
        let first = movi(frames[0..<split])
        var riffBody = Array("AVI ".utf8) + hdrl + chunk("JUNK", [UInt8](repeating: 0, count: 12)) + first.bytes
        if index {
            var idx: [UInt8] = []
            for (id, offset, size) in first.entries {
                idx += Array(id.utf8) + le32(0x10) + le32(UInt32(offset)) + le32(UInt32(size))
            }
            riffBody += chunk("idx1", idx)
        }
        var out = Array("RIFF".utf8) + le32(UInt32(riffBody.count)) + riffBody
        if split < frames.count {
            let rest = Array("AVIX".utf8) + movi(frames[split...]).bytes
            out += Array("RIFF".utf8) + le32(UInt32(rest.count)) + rest
        }
        return out
    }

    private func mainHeader(frames: Int, streams: Int) -> [UInt8] {
        let usPerFrame = UInt32((1_000_000 * UInt64(scale)) / UInt64(max(rate, 1)))
        var h = le32(usPerFrame) + le32(0) + le32(0) + le32(0x10) + le32(UInt32(frames)) + le32(0)
        h += le32(UInt32(streams)) + le32(1 << 20) + le32(UInt32(width)) + le32(UInt32(height))
        return h + [UInt8](repeating: 0, count: 16)
    }

    private func videoHeader(length: Int) -> [UInt8] {
        var h = Array("vids".utf8) + Array(codec.utf8) + le32(0) + le32(0) + le32(0)
        h += le32(scale) + le32(rate) + le32(0) + le32(UInt32(length)) + le32(1 << 20) + le32(UInt32.max) + le32(0)
        return h + le16(0) + le16(0) + le16(UInt16(width)) + le16(UInt16(height))
    }

    private func audioHeader() -> [UInt8] {
        var h = Array("auds".utf8) + le32(0) + le32(0) + le32(0) + le32(0)
        h += le32(1) + le32(8000) + le32(0) + le32(0) + le32(4096) + le32(UInt32.max) + le32(1)
        return h + [UInt8](repeating: 0, count: 8)
    }

    private func bitmapInfo() -> [UInt8] {
        le32(40) + le32(UInt32(width)) + le32(UInt32(height)) + le16(1) + le16(24) + Array(codec.utf8)
            + le32(UInt32(width * height * 3)) + le32(0) + le32(0) + le32(0) + le32(0)
    }

    private func waveFormat() -> [UInt8] {
        le16(1) + le16(1) + le32(8000) + le32(8000) + le16(1) + le16(8) + le16(0)
    }

    /// A chunk: id, little-endian size, data, pad byte when the size is odd (unless omitted).
    public func chunk(_ id: String, _ data: [UInt8]) -> [UInt8] {
        precondition(id.utf8.count == 4, "chunk ids have four characters")
        let pad: [UInt8] = data.count % 2 == 1 && !omitPadding ? [0] : []
        return Array(id.utf8) + le32(UInt32(data.count)) + data + pad
    }

    /// A `LIST` of `type` around `body`.
    public func list(_ type: String, _ body: [UInt8]) -> [UInt8] {
        Array("LIST".utf8) + le32(UInt32(body.count + 4)) + Array(type.utf8) + body
    }
}

private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
private func le16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }

private extension String {
    /// Two-digit stream number.
    init(format2 n: Int) { self = n < 10 ? "0\(n)" : "\(n)" }
}
