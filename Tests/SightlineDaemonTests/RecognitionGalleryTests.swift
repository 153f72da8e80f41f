import Foundation
import Logging
import Matcher
@testable import SightlineRuntime
import Synchronization
import Testing

/// The daemon's shared gallery: erasures made beside the running daemon take effect, expired enrolments are
/// erased (and audited) while it runs.
struct RecognitionGalleryTests {
    static let model = String(repeating: "cd", count: 32)
    static let start = Date(timeIntervalSince1970: 1_900_000_000)

    static func template(_ seed: Float) -> [Float] { (0..<128).map { seed + Float($0) * 0.001 } }

    final class Clock: Sendable {
        let time = Mutex(RecognitionGalleryTests.start)
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func enrol(_ gallery: Gallery, _ subject: String, _ seed: Float, expires: Date? = nil) throws {
        try gallery.enroll(subject: subject, templates: [template(seed)], modelSHA256: model,
                           consent: Consent(purpose: "door", grantedBy: subject, grantedAt: start, expiresAt: expires))
    }

    @Test func anEraseBesideTheDaemonTakesEffect() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/g.sealed"
        let cli = try Gallery(path: path, now: { Self.start })
        try Self.enrol(cli, "ann", 0.1)
        try Self.enrol(cli, "ben", 0.5)
        let shared = try RecognitionGallery(path: path, keyPath: nil, modelSHA256: Self.model,
                                            policy: OpenSetPolicy(), statInterval: .zero, now: { Self.start },
                                            logger: Logger(label: "test"))
        #expect(shared.current().subjects == 2)
        #expect(try shared.current().matcher.identify(Self.template(0.1)) == .match(subject: "ann", distance: 0))
        try cli.erase(subject: "ann")
        let after = shared.current()
        #expect(after.subjects == 1)
        #expect(try after.matcher.identify(Self.template(0.1)) != .match(subject: "ann", distance: 0))
    }

    @Test func expiredEnrolmentsAreErasedWhileRunning() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/g.sealed"
        let clock = Clock()
        let gallery = try Gallery(path: path, now: { clock.now })
        try Self.enrol(gallery, "short", 0.1, expires: Self.start.addingTimeInterval(600))
        try Self.enrol(gallery, "long", 0.5)
        // Files are not re-stat'ed here (an hour between stats): only the expiry itself can trigger the re-read.
        let shared = try RecognitionGallery(path: path, keyPath: nil, modelSHA256: Self.model,
                                            policy: OpenSetPolicy(), statInterval: .seconds(3600),
                                            now: { clock.now }, logger: Logger(label: "test"))
        #expect(shared.current().subjects == 2)
        clock.advance(599)
        #expect(shared.current().subjects == 2)
        clock.advance(2)
        #expect(shared.current().subjects == 1)
        #expect(try Gallery(path: path, now: { clock.now }).subjects.map(\.id) == ["long"])
        let audit = try AuditLog(path: path + ".audit").entries()
        #expect(audit.map(\.action) == [.enrol, .enrol, .expire])
        // Expired is erased: the log names the subject by its keyed hash only.
        #expect(audit.last?.subject == (try AuditLog(path: path + ".audit").pseudonym(of: "short")))
    }

    @Test func anotherModelsGalleryIsRefused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/g.sealed"
        try Self.enrol(try Gallery(path: path), "ann", 0.1)
        #expect(throws: RecognitionGallery.LoadError.self) {
            try RecognitionGallery(path: path, keyPath: nil, modelSHA256: String(repeating: "ef", count: 32),
                                   policy: OpenSetPolicy(), logger: Logger(label: "test"))
        }
    }
}
