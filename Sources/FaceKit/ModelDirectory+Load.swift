/// Loading dlib's models from a resolved directory, each file checked against the directory's manifest first.
///
/// The SHA-256 is computed on the bytes that are then parsed (one read per file; about 30 MB for all three,
/// hashed once at start). A file the manifest lists with another sum is refused; a file it does not list at all
/// (a compatible model of the user's own) is loaded, and `warn` is told so. Nothing is cached across processes.
extension ModelDirectory {
    /// The bytes of model file `name` and their SHA-256, after the manifest check.
    public func read(_ name: String, warn: (String) -> Void) throws(ModelFileError)
        -> (bytes: [UInt8], sha256: String)
    {
        let path = file(name)
        let bytes: [UInt8]
        do {
            bytes = try ModelFile.read(path)
        } catch {
            throw .unreadable(path: path, detail: error.detail)
        }
        let actual = ModelManifest.sha256(of: bytes)
        if let expected = manifest.sha256[name] {
            guard expected == actual else {
                throw .mismatch(path: path, expected: expected, actual: actual, manifest: manifestSource)
            }
        } else {
            warn("model file \(path) is not in \(manifestSource) (SHA-256 \(actual)): loading it unchecked, as a "
                 + "model of your own")
        }
        return (bytes, actual)
    }

    /// The HOG face detector (`frontal_face_detector.svm`).
    public func detector(warn: (String) -> Void) throws(ModelFileError) -> FHOGDetectorModel {
        let name = FaceDescriber.FileName.detector
        let (bytes, _) = try read(name, warn: warn)
        do { return try FHOGDetectorModel(bytes: bytes) } catch { throw .malformed(path: file(name), error) }
    }

    /// The 5-point landmark model (`shape_predictor_5_face_landmarks.dat`).
    public func landmarks(warn: (String) -> Void) throws(ModelFileError) -> ShapePredictorModel {
        let name = FaceDescriber.FileName.landmarks
        let (bytes, _) = try read(name, warn: warn)
        do { return try ShapePredictorModel(bytes: bytes) } catch { throw .malformed(path: file(name), error) }
    }

    /// The face network (`dlib_face_recognition_resnet_model_v1.dat`) and its file's SHA-256 (what galleries
    /// record as the model fingerprint).
    public func network(warn: (String) -> Void) throws(ModelFileError) -> (network: DlibNetwork, sha256: String) {
        let name = FaceDescriber.FileName.embedder
        let (bytes, sha256) = try read(name, warn: warn)
        do { return (try DlibNetwork(bytes: bytes), sha256) } catch { throw .malformed(path: file(name), error) }
    }
}

extension FaceDescriber {
    /// Loads the three models from a resolved directory, each checked against its manifest; the embedder runs on
    /// `threads` threads.
    public convenience init(models: ModelDirectory, threads: Int = 1, warn: (String) -> Void) throws(ModelFileError) {
        let detector = FaceDetector(model: try models.detector(warn: warn))
        let landmarker = FaceLandmarker(model: try models.landmarks(warn: warn))
        let network = try models.network(warn: warn).network
        let embedder: FaceEmbedder
        do {
            embedder = try FaceEmbedder(network: network, threads: threads)
        } catch {
            throw .malformed(path: models.file(FileName.embedder), error)
        }
        self.init(detector: detector, landmarker: landmarker, embedder: embedder)
    }
}
