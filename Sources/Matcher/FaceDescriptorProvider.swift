/// One face found in an image: its box in pixels and its descriptor.
public struct FaceDescriptor: Sendable, Equatable, Codable {
    /// Left, top, width, height in pixels of the source image.
    public var box: [Int]
    /// The descriptor (128 floats for dlib's ResNet).
    public var descriptor: [Float]

    public init(box: [Int], descriptor: [Float]) {
        self.box = box
        self.descriptor = descriptor
    }
}

/// Turns images into face descriptors (detector → landmarks → chip → embedder). The CLI's `gallery enroll`
/// and `identify` use it; FaceKit's pipeline will provide it, and a JSON file of descriptors does today.
public protocol FaceDescriptorProvider {
    /// SHA-256 (hex) of the model files that make the descriptors.
    var modelSHA256: String { get }
    /// Every face in the image at `path`.
    func faces(inImageAt path: String) throws -> [FaceDescriptor]
}
