import Capture
import FaceKit
import Logging
import SightlineCore

/// `sightline faces blur-video`: footage through a camera pipeline (the daemon's source, bounded queue and
/// decoder, replayed as fast as it goes without dropping a frame) whose one stage blurs every face of each
/// frame and hands it, JPEG-encoded, to `write` in order.
///
/// The run is strict: a frame that does not decode cannot be blurred, so it ends the run
/// (`FootageBlurError.undecodableFrame`) rather than being skipped; so does a failing `write`.
public enum FootageBlurRun {
    /// Blurs `footage` with `blur` (a fresh `TrackedFaceRedactor` per piece of footage).
    ///
    /// - Throws: `FootageBlurError` for footage without frames or with an undecodable frame; the source's error
    ///   when it cannot be opened or read; the error of `write`.
    public static func run(footage: SourceSpec, blur: FootageBlur, write: @escaping ([UInt8]) throws -> Void)
        throws -> FootageBlur.Summary
    {
        let source = try SourceFactory.make(spec: footage,
                                            options: SourceOptions(pacing: .asFastAsPossible, color: true))
        let stage = BlurStage(blur: blur, write: write)
        var logger = Logger(label: "sightline.blur-video")
        logger.logLevel = .critical
        let pipeline = CameraPipeline(
            settings: .init(camera: "blur", queueDepth: 4, overflow: .wait, processFPS: nil,
                            decode: .init(minWidth: 0, color: true), strict: true),
            source: source, stages: [stage], logger: logger, sink: { _ in })
        do {
            try pipeline.runUntilEnd()
        } catch CameraPipeline.ProcessingFailure.undecodable(let index, let reason) {
            throw FootageBlurError.undecodableFrame(source: footage.description, index: index, reason: reason)
        } catch CameraPipeline.ProcessingFailure.stage {
            throw stage.failure ?? FootageBlurError.noFrames(source: footage.description, stats: source.stats)
        }
        var summary = stage.summary
        summary.sourceStats = source.stats
        guard summary.frames > 0 else {
            throw FootageBlurError.noFrames(source: footage.description, stats: source.stats)
        }
        return summary
    }
}

/// The one stage of `FootageBlurRun`: blur, encode, write.
final class BlurStage: Stage {
    let name = "blur"
    let needsColor = true
    private let blur: FootageBlur
    private let write: ([UInt8]) throws -> Void
    private(set) var summary = FootageBlur.Summary()
    /// The error that stopped the run (a failed write or encode).
    private(set) var failure: (any Error)?

    init(blur: FootageBlur, write: @escaping ([UInt8]) throws -> Void) {
        self.blur = blur
        self.write = write
    }

    func process(_ frame: Frame) throws -> [Detection] {
        do {
            try write(try blur.blur(frame, counting: &summary))
        } catch {
            failure = error
            throw error
        }
        return []
    }
}
