import Crypto
import EventLog
import FaceKit
import Foundation
import Imaging
import Logging
import Matcher
import Metrics
import SightlineCore

/// One camera's recognition: landmarks → chip → embedding → gallery match for each detected face, k-of-n
/// confirmation per tracked face, and `face.match` detections for confirmed subjects.
///
/// What is kept between frames is only, per tracked face, its box and the last `confirm_n` decisions (a
/// subject id or "nobody"); a track confirmed as a subject is reported once and not embedded again. A descriptor lives for the one comparison it was made for; a face that matches
/// nobody leaves nothing behind — it is never logged, stored, counted per identity or sent. Metrics are per
/// camera only: a subject id never becomes a metric label. Not thread-safe: one per camera pipeline.
final class FaceRecognition {
    let camera: String
    let describer: FaceDescriber
    let gallery: RecognitionGallery
    /// Whether a match carries its evidence image (`recognize.evidence`).
    let keepsEvidence: Bool
    let blurStyle: FaceBlurStyle
    private var tracker: FaceTracker
    private var confirmation: TemporalConfirmation
    private var liveTracks: Set<Int> = []
    /// Face boxes blurred in match evidence so far (for the run summary).
    private(set) var evidenceBoxesBlurred = 0
    private let matches: Counter
    private let recognitionTime: Metrics.Timer
    private let logger: Logger

    /// - Parameters:
    ///   - keepFrames: frames (sequence numbers) a tracked face survives without a detection.
    ///   - keepsEvidence: whether each match carries the frame with every other face blurred.
    ///   - metrics: where the per-camera counters go (the bootstrapped system unless a test says otherwise).
    init(camera: String, describer: FaceDescriber, gallery: RecognitionGallery, confirmK: Int, confirmN: Int,
         keepFrames: Int, keepsEvidence: Bool, blurStyle: FaceBlurStyle = .init(),
         metrics: MetricsFactory = MetricsSystem.factory, logger: Logger) {
        self.camera = camera
        self.describer = describer
        self.gallery = gallery
        self.keepsEvidence = keepsEvidence
        self.blurStyle = blurStyle
        tracker = FaceTracker(keepFrames: keepFrames)
        confirmation = TemporalConfirmation(required: confirmK, window: confirmN)
        matches = Counter(label: "sightline_face_matches_total", dimensions: [("camera", camera)], factory: metrics)
        recognitionTime = Metrics.Timer(label: "sightline_face_recognition_seconds", dimensions: [("camera", camera)],
                                        preferredDisplayUnit: .seconds, factory: metrics)
        self.logger = logger
    }

    /// Recognises `faces` (this frame's detections large enough to report, in processing pixels); `blurBoxes`
    /// are every face box tracked in the frame (for the evidence image). Returns the confirmed matches.
    func process(_ frame: Frame, faces: [FaceDetection], blurBoxes: [FaceBox]) throws -> [Detection] {
        tracker.update(frame: frame.seq, detections: faces.map(\.box))
        // A matched or new track holds exactly its detection's box on the frame it was detected in.
        let trackIDs = faces.map { face in
            tracker.tracks.first { $0.missedFrames == 0 && $0.box == face.box }?.id
        }
        let live = Set(tracker.tracks.map(\.id))
        for ended in liveTracks.subtracting(live) { confirmation.forget(track: UInt64(ended)) }
        liveTracks = live
        let (matcher, subjects) = gallery.current()
        // Nobody enrolled: nothing to compare with, so no face is embedded at all. A track already confirmed is
        // not embedded again (it has been reported; the embedder is the expensive step).
        let pending = faces.indices.filter { index in
            trackIDs[index].map { confirmation.confirmedSubject(of: UInt64($0)) == nil } ?? false
        }
        guard subjects > 0, !pending.isEmpty else { return [] }

        let start = Clocks.threadCPUNanos()
        let image = frame.rgb ?? frame.gray
        var reports: [(face: FaceDetection, subject: String, distance: Float)] = []
        do {
            let descriptors = try describer.descriptors(of: pending.map { faces[$0].box }, in: image)
            for (index, descriptor) in zip(pending, descriptors) {
                let decision = try matcher.identify(descriptor)
                var subject: String?
                var distance: Float = 0
                if case .match(let who, let d) = decision { (subject, distance) = (who, d) }
                guard let track = trackIDs[index] else { continue }
                if let confirmed = confirmation.observe(track: UInt64(track), subject: subject) {
                    reports.append((faces[index], confirmed, distance))
                }
            }
        } catch {
            // Errors name shapes and dimensions, never descriptor values.
            logger.warning("face recognition failed on a frame", metadata: ["camera": "\(camera)", "error": "\(error)"])
            return []
        }
        recognitionTime.recordNanoseconds(Int64(Clocks.threadCPUNanos() &- start))
        guard !reports.isEmpty else { return [] }
        matches.increment(by: reports.count)
        logger.debug("face matches confirmed", metadata: ["camera": "\(camera)", "count": "\(reports.count)"])

        let scale = frame.scaleToSource
        let everyFace = blurBoxes + faces.map(\.box)
        return reports.map { report in
            let box = report.face.box
            var detection = Detection(
                .faceMatch, of: frame,
                body: ["subject": .string(report.subject),
                       "distance": .double((Double(report.distance) * 1000).rounded() / 1000),
                       "box": .array([box.left, box.top, box.right, box.bottom].map {
                           .int(Int64((Double($0) * scale).rounded()))
                       })])
            if keepsEvidence, let attached = redactedEvidence(keeping: report.face.box, in: image, blur: everyFace) {
                // The body names the picture the event attaches (its evidence[] entry has the same digest).
                detection.body["evidence_sha256"] = .string(attached.sha256)
                detection.evidence = .images([attached.jpeg])
            }
            return detection
        }
    }

    /// The frame as JPEG with every face box but `matched` blurred (boxes equal to it are the same face; any
    /// other box — another person, or a predicted track — is blurred, erring on the side of privacy).
    private func redactedEvidence(keeping matched: FaceBox, in image: Image, blur boxes: [FaceBox])
        -> (jpeg: [UInt8], sha256: String)?
    {
        var picture = image
        var blurred: [FaceBox] = []
        for box in boxes where box != matched && !box.isEmpty && !blurred.contains(box) { blurred.append(box) }
        blurStyle.apply(to: &picture, boxes: blurred)
        evidenceBoxesBlurred += blurred.count
        guard let jpeg = try? JPEGEncoder.encode(picture, quality: 85) else {
            logger.warning("face match evidence dropped: JPEG encoding failed", metadata: ["camera": "\(camera)"])
            return nil
        }
        return (jpeg, Encoding.hex(SHA256.hash(data: jpeg)))
    }
}
