import Imaging
import Logging
import SightlineCore
import Synchronization

/// How long an evidence clip runs around a crossing, from the camera's `evidence_clip`.
struct ClipSettings: Sendable, Equatable {
    var before: Double
    var after: Double
    /// Frames per second of source time kept in a clip: enough to follow a vehicle through the junction, few
    /// enough that a clip stays a small blob (about 35 KB a frame at 640 wide).
    var fps: Double = 10
    /// A clip that would grow past this keeps every other frame and goes on at half the rate, so that it still
    /// spans its seconds (the collector takes blobs up to 8 MiB).
    var maxBytes: Int = 6 << 20
    /// Decoded frames kept for the seconds before a crossing take at most this much memory: large pictures are
    /// kept at a lower rate instead (a 4K colour frame is about 33 MB).
    var maxRecentBytes: Int = 192 << 20
    /// Clips made at once; a crossing beyond them keeps its stills only (and the log says so).
    var maxOpen: Int = 8
}

/// A stage that wraps the traffic stage and adds a short clip to each crossing's evidence: the frames of the
/// `before` seconds up to the crossing and the `after` seconds past it (at most `fps` a second), each redacted
/// by the same redactor as the crossing's stills (every face blurred) and JPEG-encoded, joined as one MJPEG
/// stream (`video/x-motion-jpeg`, the format `mjpeg:` sources read). The crossing's event waits for its clip:
/// its pending evidence is replaced by one this stage fulfils with the stills followed by the clip.
///
/// Frames waiting to become a clip stay in process memory, like the stills (at most `before` × `fps` frames); a
/// frame is redacted with the boxes the face stage tracked for it (the redactor is asked to keep them that long)
/// and only once a crossing wants it, so nothing is redacted or encoded for frames no evidence uses, and each
/// frame is encoded once however many clips share it. At most `maxOpen` clips are made at once. When the run
/// ends (`finish`), the source goes quiet (`sourceWentQuiet`) or its clock restarts, unfinished clips are
/// delivered as they are.
final class CrossingClipStage: Stage, FinishingStage, @unchecked Sendable {
    private final class Job {
        let outer: PendingEvidence
        let inner: PendingEvidence?
        let until: Double
        var stills: [[UInt8]]?
        var jpegs: [[UInt8]] = []
        var bytes = 0
        var lastPTS = -Double.infinity
        /// Least seconds between the frames the clip keeps: 0 (every frame of its rate) until the clip first
        /// reaches its size cap, then doubled each time.
        var gap = 0.0
        var truncated = false

        init(outer: PendingEvidence, inner: PendingEvidence?, until: Double) {
            self.outer = outer
            self.inner = inner
            self.until = until
        }
    }

    let name: String
    var needsColor: Bool { inner.needsColor }
    private let inner: any Stage
    private let redactor: any EvidenceRedactor
    private let settings: ClipSettings
    private let logger: Logger
    /// Frames of the last `before` seconds, at most `fps` a second: what a new crossing's clip starts with.
    private var recent: [Frame] = []
    private var jobs: [Job] = []
    /// JPEGs of frames already redacted for a clip, by frame: the clips open at once share them.
    private var encoded: [UInt64: [UInt8]] = [:]
    /// One warning per burst of refusals (reset when a clip is taken again), with the run's count so far.
    private var refusedLogged = false
    private var refusedTotal = 0
    private var thinnedLogged = false
    /// Stills delivered by the wrapped stage, by the job they belong to (set from its fulfil, on this thread).
    private let stills = Mutex<[ObjectIdentifier: [[UInt8]]]>([:])

    init(wrapping inner: any Stage, redactor: any EvidenceRedactor, settings: ClipSettings, logger: Logger) {
        self.inner = inner
        self.name = inner.name
        self.redactor = redactor
        self.settings = settings
        self.logger = logger
        // Face boxes of every frame a clip may reach back to, even from a 120 frames/s camera.
        redactor.retainHistory(frames: Int(((settings.before + 1) * 120).rounded(.up)))
    }

    func process(_ frame: Frame) throws -> [Detection] {
        cancelUnwantedStills()
        var detections = try inner.process(frame)
        // One frame per 1/fps slot of source time (the first to arrive in it): exactly `fps` a second from any
        // camera rate at or above it, every frame below it.
        let slot = (frame.pts * settings.fps + 1e-6).rounded(.down)
        let keep = recent.last.map { slot != ($0.pts * settings.fps + 1e-6).rounded(.down) } ?? true
        for index in detections.indices where detections[index].type == .trafficRedLightCrossing {
            open(&detections[index], at: frame)
        }
        advance(frame, keep: keep)
        if keep {
            recent.append(frame)
            recent.removeAll { $0.pts < frame.pts - settings.before || $0.pts > frame.pts }
            // Over the memory budget (very large pictures): every other older frame goes, the newest stays.
            let frameBytes = frame.gray.pixels.count + (frame.rgb?.pixels.count ?? 0)
            while recent.count > 2, recent.count * frameBytes > settings.maxRecentBytes {
                let newest = recent.removeLast()
                recent = recent.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element) + [newest]
            }
        }
        return detections
    }

    /// Opens the clip of `crossing` reported on `frame` (nil: the run ended, after the last frame): it starts with
    /// the recent frames and that one, redacted now while their face tracks are fresh, and the crossing's evidence
    /// becomes this stage's, fulfilled with the stills followed by the clip.
    private func open(_ crossing: inout Detection, at frame: Frame?) {
        guard jobs.count < settings.maxOpen else {
            refusedTotal += 1
            if !refusedLogged {
                logger.warning("too many crossings at once: this one keeps its stills without a clip",
                               metadata: ["open_clips": "\(jobs.count)", "without_clip_so_far": "\(refusedTotal)"])
                refusedLogged = true
            }
            return
        }
        refusedLogged = false
        let now = frame?.pts ?? recent.last?.pts ?? crossing.pts ?? 0
        let outer = PendingEvidence()
        var innerEvidence: PendingEvidence?
        if case .pending(let evidence) = crossing.evidence { innerEvidence = evidence }
        let job = Job(outer: outer, inner: innerEvidence, until: now + settings.after)
        if let innerEvidence {
            let key = ObjectIdentifier(job)
            innerEvidence.whenReady { [self] images in stills.withLock { $0[key] = images } }
        } else {
            job.stills = crossing.evidence.images
        }
        for earlier in recent where earlier.pts >= now - settings.before && (frame == nil || earlier.pts < now) {
            add(earlier, to: job)
        }
        if let frame { add(frame, to: job) }
        jobs.append(job)
        crossing.evidence = .pending(outer)
    }

    /// The run ended: crossings the wrapped stage still held (reported now) get a clip of the frames before.
    /// The pipeline calls `finish` next, which delivers every clip.
    func streamEnded() throws -> [Detection] {
        cancelUnwantedStills()
        var detections = try inner.streamEnded()
        for index in detections.indices where detections[index].type == .trafficRedLightCrossing {
            open(&detections[index], at: nil)
        }
        return detections
    }

    /// Ends the run: every clip still open is delivered with the frames it has.
    func finish() {
        for job in jobs { deliver(job) }
        jobs = []
        recent = []
        encoded = [:]
    }

    /// No frame came for a while: open clips are delivered as they are (frames after a camera comes back belong
    /// to a later moment), and the frames kept for the next clip's start are let go.
    func sourceWentQuiet() {
        guard !jobs.isEmpty || !recent.isEmpty else { return }
        if !jobs.isEmpty {
            logger.info("camera quiet: evidence clips delivered with the frames they have",
                        metadata: ["clips": "\(jobs.count)"])
        }
        finish()
    }

    /// Tells the wrapped stage, before it makes the stills it owes, which crossings' events were not admitted
    /// (filtered or rate-limited), so it never redacts or encodes them.
    private func cancelUnwantedStills() {
        for job in jobs where !job.outer.isWanted { job.inner?.cancel() }
    }

    /// Adds `frame` to the open clips that want it, and delivers those that are complete.
    private func advance(_ frame: Frame, keep: Bool) {
        var open: [Job] = []
        for job in jobs {
            collectStills(job)
            guard job.outer.isWanted else {
                // The event was not admitted (filtered or rate-limited): nothing more is made for it.
                job.inner?.cancel()
                continue
            }
            if keep, frame.pts > job.lastPTS, frame.pts <= job.until { add(frame, to: job) }
            // Complete once past its end with the stills in (the wrapped stage delivers them a frame later), or
            // when the source's clock went back (a camera that reopened restarts its timestamps).
            let restarted = frame.pts < job.lastPTS - 1
            if restarted || (frame.pts >= job.until && job.stills != nil) {
                deliver(job)
            } else {
                open.append(job)
            }
        }
        jobs = open
        if jobs.isEmpty {
            encoded = [:]
        } else if encoded.count > 4 * Int((settings.before + settings.after) * settings.fps + 2) {
            // Keep only what the open clips might still share: frames of the recent window and after.
            let oldest = recent.first?.seq ?? frame.seq
            encoded = encoded.filter { $0.key >= oldest }
        }
    }

    private func collectStills(_ job: Job) {
        guard job.stills == nil else { return }
        job.stills = stills.withLock { $0.removeValue(forKey: ObjectIdentifier(job)) }
    }

    private func add(_ frame: Frame, to job: Job) {
        // A thinned clip takes a frame only once its gap passed (half a slot of slack for uneven camera rates).
        guard !job.truncated, frame.pts - job.lastPTS >= job.gap - 0.5 / settings.fps else { return }
        do {
            let jpeg = try encoded[frame.seq] ?? JPEGEncoder.encode(redactor.redact(frame), quality: 80)
            encoded[frame.seq] = jpeg
            // Over the cap: every other frame goes and the clip goes on at half the rate (it keeps its span).
            while job.bytes + jpeg.count > settings.maxBytes, job.jpegs.count >= 2 {
                job.jpegs = job.jpegs.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element)
                job.bytes = job.jpegs.reduce(0) { $0 + $1.count }
                job.gap = max(job.gap * 2, 2 / settings.fps)
                if !thinnedLogged {
                    logger.info("evidence clip thinned to stay under its size cap",
                                metadata: ["max_bytes": "\(settings.maxBytes)", "seconds_between_frames": "\(job.gap)"])
                    thinnedLogged = true
                }
            }
            guard job.bytes + jpeg.count <= settings.maxBytes else {
                job.truncated = true
                logger.warning("evidence clip cut short: one frame exceeds its size cap",
                               metadata: ["max_bytes": "\(settings.maxBytes)", "frames": "\(job.jpegs.count)"])
                return
            }
            job.jpegs.append(jpeg)
            job.bytes += jpeg.count
            job.lastPTS = frame.pts
        } catch {
            job.truncated = true
            logger.warning("evidence clip cut short: redaction or encoding failed", metadata: ["error": "\(error)"])
        }
    }

    private func deliver(_ job: Job) {
        collectStills(job)
        if job.stills == nil { job.inner?.cancel() }
        guard job.outer.isWanted else { return }
        var evidence = job.stills ?? []
        if !job.jpegs.isEmpty { evidence.append(job.jpegs.flatMap { $0 }) }
        job.outer.fulfil(evidence)
    }
}

/// A stage with work left when its run ends (the pipeline calls `finish` after the last frame), or while its
/// source is quiet (`sourceWentQuiet`, after `CameraPipeline.quietSeconds` without a frame; the run goes on).
protocol FinishingStage: Stage {
    func finish()
    func sourceWentQuiet()
}
