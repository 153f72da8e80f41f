/// The choices `V4L2Source` makes from what a camera offers: pure functions, tested apart.
enum V4L2Negotiation {
    /// The most preferred format in `offered`. Native formats beat libv4l2-emulated ones of any
    /// rank (emulation converts every frame in software); among equals, `preference` order wins.
    static func chooseFormat(from offered: [V4L2FormatEntry], preference: [V4L2FourCC]) -> V4L2FormatEntry? {
        let ranked = offered.compactMap { entry -> (entry: V4L2FormatEntry, rank: Int)? in
            guard let rank = preference.firstIndex(of: entry.fourcc) else { return nil }
            return (entry, rank + (entry.emulated ? preference.count : 0))
        }
        return ranked.min { $0.rank < $1.rank }?.entry
    }

    /// The offered size closest to the request (sum of absolute width and height differences,
    /// ties to the larger size). Nil when the driver did not enumerate sizes.
    static func chooseSize(from offered: [V4L2FrameSize], width: Int, height: Int) -> (width: Int, height: Int)? {
        let candidates = offered.map { $0.closest(toWidth: width, height: height) }
        return candidates.min { a, b in
            let da = abs(a.width - width) + abs(a.height - height)
            let db = abs(b.width - width) + abs(b.height - height)
            return da != db ? da < db : a.width * a.height > b.width * b.height
        }
    }
}
