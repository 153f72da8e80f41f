import Imaging
import SightlineCore

/// Short footage made from one real photo, for tests of what runs on faces across frames: a window panned
/// over the photo (so its subject moves in the frame), with flat grey rectangles painted over chosen frames
/// (an occluder the detector loses the face behind).
public enum PhotoFootage {
    /// A grey rectangle painted over one frame, in photo pixels.
    public struct Occluder: Sendable {
        public var frame: Int
        public var left: Int
        public var top: Int
        public var width: Int
        public var height: Int

        public init(frame: Int, left: Int, top: Int, width: Int, height: Int) {
            self.frame = frame
            self.left = left
            self.top = top
            self.width = width
            self.height = height
        }
    }

    /// One `width`×`height` frame per origin (the window's top-left corner in the photo, which it must fit in),
    /// occluders painted in photo coordinates.
    public static func frames(of photo: Image, width: Int, height: Int, origins: [(x: Int, y: Int)],
                              occluders: [Occluder] = []) -> [Image] {
        origins.enumerated().map { index, origin in
            precondition(origin.x >= 0 && origin.y >= 0 && origin.x + width <= photo.width
                         && origin.y + height <= photo.height, "window outside the photo")
            var frame = Image(width: width, height: height, channels: photo.channels)
            for y in 0..<height {
                for x in 0..<width {
                    for k in 0..<photo.channels { frame[x, y, k] = photo[origin.x + x, origin.y + y, k] }
                }
            }
            for occluder in occluders where occluder.frame == index {
                let xs = max(occluder.left - origin.x, 0)..<min(occluder.left + occluder.width - origin.x, width)
                let ys = max(occluder.top - origin.y, 0)..<min(occluder.top + occluder.height - origin.y, height)
                for y in ys { for x in xs { for k in 0..<photo.channels { frame[x, y, k] = 128 } } }
            }
            return frame
        }
    }

    /// The frames as JPEGs.
    public static func jpegs(_ frames: [Image], quality: Int = 90) throws -> [[UInt8]] {
        try frames.map { try JPEGEncoder.encode($0, quality: quality) }
    }

    /// Mean squared Laplacian (4-neighbour) over the pixels of `left..<right`×`top..<bottom` not on the image
    /// border, all channels: the high-frequency energy the blur tests compare before and after.
    public static func highFrequencyEnergy(_ image: Image, left: Int, top: Int, right: Int, bottom: Int) -> Double {
        var sum = 0.0, count = 0
        for y in max(top, 1)..<max(min(bottom, image.height - 1), max(top, 1)) {
            for x in max(left, 1)..<max(min(right, image.width - 1), max(left, 1)) {
                for k in 0..<image.channels {
                    let c = Double(image[x, y, k])
                    let lap = 4 * c - Double(image[x - 1, y, k]) - Double(image[x + 1, y, k])
                        - Double(image[x, y - 1, k]) - Double(image[x, y + 1, k])
                    sum += lap * lap
                    count += 1
                }
            }
        }
        return sum / Double(max(count, 1))
    }
}
