import Foundation
import Logging
import Matcher
import Synchronization

/// The daemon's view of one encrypted gallery, shared by every camera that recognises against it: the
/// current `GalleryMatcher`, kept fresh.
///
/// The gallery is re-read (which erases expired enrolments, with their audit lines) when its file changes —
/// `sightline gallery enroll` or `erase` run beside the daemon take effect within `statInterval` — when the
/// earliest consent expiry passes, and at least every `recheckInterval` (an hour). Thread-safe.
final class RecognitionGallery: Sendable {
    /// Why the gallery cannot be used for recognition.
    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    let keyPath: String?
    /// SHA-256 of the embedding model the cameras use; templates of another model are never compared.
    let modelSHA256: String
    let policy: OpenSetPolicy
    let statInterval: Duration
    let recheckInterval: TimeInterval
    private let now: @Sendable () -> Date
    private let logger: Logger

    private struct State {
        var matcher: GalleryMatcher
        var subjects: Int
        var fileStamp: FileStamp?
        var nextStat: ContinuousClock.Instant
        /// Wall time of the next forced re-read: the earliest expiry, or the hourly re-check.
        var nextRecheck: Date
    }

    private let state: Mutex<State>

    /// Opens the gallery at `path` (which must exist: recognition against nothing is a configuration mistake)
    /// and checks that its templates come from `modelSHA256`.
    init(path: String, keyPath: String?, modelSHA256: String, policy: OpenSetPolicy,
         statInterval: Duration = .seconds(1), recheckInterval: TimeInterval = 3600,
         now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoadError(description: "no gallery at \(path): enrol subjects first with "
                + "'sightline gallery enroll SUBJECT --image PHOTO --purpose TEXT --gallery \(path)'")
        }
        self.path = path
        self.keyPath = keyPath
        self.modelSHA256 = modelSHA256.lowercased()
        self.policy = policy
        self.statInterval = statInterval
        self.recheckInterval = recheckInterval
        self.now = now
        self.logger = logger
        let loaded = try Self.load(path: path, keyPath: keyPath, modelSHA256: self.modelSHA256, policy: policy,
                                   now: now, logger: logger)
        state = Mutex(State(matcher: loaded.matcher, subjects: loaded.subjects, fileStamp: FileStamp(path: path),
                            nextStat: .now + statInterval,
                            nextRecheck: min(loaded.nextExpiry ?? .distantFuture, now() + recheckInterval)))
        logger.info("gallery loaded for recognition",
                    metadata: ["gallery": "\(path)", "subjects": "\(loaded.subjects)"])
    }

    /// The matcher to use for this frame and its number of subjects (0: there is nobody to compare faces
    /// with), re-read first when the file changed, an enrolment expired or the hourly re-check is due. A gallery
    /// that fails to re-read matches nobody until it reads again.
    func current() -> (matcher: GalleryMatcher, subjects: Int) {
        state.withLock { state in
            let clock = ContinuousClock.now
            var reload = now() >= state.nextRecheck
            if clock >= state.nextStat {
                state.nextStat = clock + statInterval
                let stamp = FileStamp(path: path)
                if stamp != state.fileStamp {
                    state.fileStamp = stamp
                    reload = true
                }
            }
            guard reload else { return (state.matcher, state.subjects) }
            do {
                let loaded = try Self.load(path: path, keyPath: keyPath, modelSHA256: modelSHA256, policy: policy,
                                           now: now, logger: logger)
                state.matcher = loaded.matcher
                state.subjects = loaded.subjects
                state.nextRecheck = min(loaded.nextExpiry ?? .distantFuture, now() + recheckInterval)
                // Expiry rewrites the file: take its new stamp so that this is not read again next second.
                state.fileStamp = FileStamp(path: path)
                logger.info("gallery re-read", metadata: ["gallery": "\(path)", "subjects": "\(loaded.subjects)"])
            } catch {
                state.matcher = Self.emptyMatcher(policy: policy)
                state.subjects = 0
                state.nextRecheck = now() + 60
                logger.error("gallery unusable: recognition matches nobody until it reads again",
                             metadata: ["gallery": "\(path)", "error": "\(error)"])
            }
            return (state.matcher, state.subjects)
        }
    }

    private struct Loaded {
        var matcher: GalleryMatcher
        var subjects: Int
        var nextExpiry: Date?
    }

    /// Opens the gallery (erasing expired enrolments) and indexes its templates.
    private static func load(path: String, keyPath: String?, modelSHA256: String, policy: OpenSetPolicy,
                             now: @escaping @Sendable () -> Date, logger: Logger) throws -> Loaded {
        let gallery: Gallery
        do {
            gallery = try Gallery(path: path, keyPath: keyPath, now: now, logger: logger)
        } catch {
            throw LoadError(description: "gallery \(path): \(error)")
        }
        if let model = gallery.modelSHA256, model != modelSHA256 {
            throw LoadError(description: "gallery \(path) holds templates of model \(model.prefix(12))…, but "
                + "faces.models has \(modelSHA256.prefix(12))…: re-enrol with this model or point faces.models at "
                + "the one that made the gallery")
        }
        guard let dimension = gallery.dimension, !gallery.subjects.isEmpty else {
            return Loaded(matcher: emptyMatcher(policy: policy), subjects: 0, nextExpiry: nil)
        }
        let matcher: GalleryMatcher
        do {
            matcher = try GalleryMatcher(subjects: gallery.subjects, dimension: dimension, policy: policy)
        } catch {
            throw LoadError(description: "gallery \(path): \(error)")
        }
        let nextExpiry = gallery.subjects.compactMap(\.consent.expiresAt).min()
        return Loaded(matcher: matcher, subjects: gallery.subjects.count, nextExpiry: nextExpiry)
    }

    private static func emptyMatcher(policy: OpenSetPolicy) -> GalleryMatcher {
        // An index with no templates cannot fail to build.
        try! GalleryMatcher(subjects: [], dimension: 1, policy: policy)
    }
}

/// What tells a rewritten file from the one read before: inode, size and modification time.
struct FileStamp: Equatable, Sendable {
    let inode: UInt64
    let size: Int64
    let modified: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
