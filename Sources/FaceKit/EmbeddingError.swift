/// A chip the embedder cannot take.
public enum EmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The chip at `index` is not `expectedWidth`×`expectedHeight` RGB (3 channels).
    case wrongChipShape(index: Int, width: Int, height: Int, channels: Int, expectedWidth: Int, expectedHeight: Int)

    public var description: String {
        switch self {
        case .wrongChipShape(let index, let width, let height, let channels, let expectedWidth, let expectedHeight):
            "chip \(index) is \(width)x\(height) with \(channels) channel(s); the face network needs "
                + "\(expectedWidth)x\(expectedHeight) RGB (3 channels), an aligned face chip as dlib's "
                + "get_face_chip makes"
        }
    }
}
