import ArgumentParser
import FaceKit

/// Where the dlib model files are (`ModelDirectory`: --models, SIGHTLINE_MODELS, the installed models,
/// ./Models/files), each checked against its manifest when loaded.
public struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(ModelLocation.help, valueName: "DIR"))
    public var models: String?

    public init() {}

    public func detector() throws -> FaceDetector {
        let directory = try ModelLocation.resolve(models, needing: [FaceDescriber.FileName.detector])
        do {
            return FaceDetector(model: try directory.detector(warn: ModelLocation.warn))
        } catch { throw CLIError("\(error)") }
    }

    /// The detector and the landmark model, from one directory that holds both.
    public func detectorAndLandmarker() throws -> (FaceDetector, FaceLandmarker) {
        let directory = try ModelLocation.resolve(models, needing: [
            FaceDescriber.FileName.detector, FaceDescriber.FileName.landmarks,
        ])
        do {
            return (FaceDetector(model: try directory.detector(warn: ModelLocation.warn)),
                    FaceLandmarker(model: try directory.landmarks(warn: ModelLocation.warn)))
        } catch { throw CLIError("\(error)") }
    }

    public func describer() throws -> FaceDescriber {
        let directory = try ModelLocation.resolve(models, needing: [
            FaceDescriber.FileName.detector, FaceDescriber.FileName.landmarks, FaceDescriber.FileName.embedder,
        ])
        do {
            return try FaceDescriber(models: directory, warn: ModelLocation.warn)
        } catch { throw CLIError("\(error)") }
    }
}
