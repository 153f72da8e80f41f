/// One face found in an image: its box in pixels and its descriptor.
public struct FaceDescriptor: Sendable, Equatable, Codable {
    /// `[left, top, right, bottom]` in pixels of the source image (dlib's inclusive rectangle, as
    /// `sightline faces detect` prints boxes).
    public var box: [Int]
    /// The descriptor (128 floats for dlib's ResNet).
    public var descriptor: [Float]

    public init(box: [Int], descriptor: [Float]) {
        self.box = box
        self.descriptor = descriptor
    }
}

/// Turns images into face descriptors (detector → landmarks → chip → embedder). The CLI's `gallery enroll`
/// and `identify` use it; FaceKit's `FaceDescriber` provides it (through the CLI, which reads the images), and so
/// does a JSON file of descriptors computed elsewhere.
public protocol FaceDescriptorProvider {
    /// SHA-256 (hex) of the embedding model file that makes the descriptors (`ModelFingerprint`).
    var modelSHA256: String { get }
    /// Every face in the image at `path`.
    func faces(inImageAt path: String) throws -> [FaceDescriptor]
}
