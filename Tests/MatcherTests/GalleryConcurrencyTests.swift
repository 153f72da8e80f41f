import Foundation
import Testing
@testable import Matcher

/// Two writers of one gallery (the CLI enrolling while the daemon erases an expired enrolment, or two CLI
/// runs) must not lose each other's changes.
@Suite struct GalleryConcurrencyTests {
    static let model = String(repeating: "cd", count: 32)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func consent(expires: Date? = nil) -> Consent {
        Consent(purpose: "door", grantedBy: "the subject", grantedAt: Self.start, expiresAt: expires)
    }

    func template(_ seed: Float) -> [Float] { (0..<128).map { seed + Float($0) * 0.001 } }

    @Test func aStaleInstanceDoesNotUndoAnotherWritersEnrolment() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/gallery.sealed"
        let first = try Gallery(path: path, now: { Self.start })
        try first.enroll(subject: "alice", templates: [template(0.1)], modelSHA256: Self.model, consent: consent())
        let second = try Gallery(path: path, now: { Self.start })  // opened now: sees alice
        try first.enroll(subject: "bob", templates: [template(0.2)], modelSHA256: Self.model, consent: consent())
        try second.enroll(subject: "carol", templates: [template(0.3)], modelSHA256: Self.model, consent: consent())
        #expect(try Gallery(path: path, now: { Self.start }).subjects.map(\.id) == ["alice", "bob", "carol"])
        // An erase through the stale first instance keeps carol, whom it never saw.
        #expect(try first.erase(subject: "alice"))
        #expect(try Gallery(path: path, now: { Self.start }).subjects.map(\.id) == ["bob", "carol"])
    }

    @Test func eraseOfASubjectEnrolledElsewhereSucceeds() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/gallery.sealed"
        let daemon = try Gallery(path: path, now: { Self.start })
        let cli = try Gallery(path: path, now: { Self.start })
        try cli.enroll(subject: "dave", templates: [template(0.4)], modelSHA256: Self.model, consent: consent())
        #expect(try daemon.erase(subject: "dave"))
        #expect(try Gallery(path: path, now: { Self.start }).subjects.isEmpty)
    }

    @Test func concurrentEnrolmentsFromManyThreadsAllLand() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/gallery.sealed"
        _ = try Gallery(path: path, now: { Self.start })
        let count = 8
        let failures = Failures()
        var threads: [Thread] = []
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                do {
                    // Each thread is its own writer, as separate processes would be.
                    let gallery = try Gallery(path: path, now: { Self.start })
                    try gallery.enroll(subject: "s\(index)", templates: [template(Float(index))],
                                       modelSHA256: Self.model, consent: consent())
                } catch { failures.add("\(error)") }
            }
            threads.append(thread)
        }
        threads.forEach { $0.start() }
        done.wait()
        #expect(failures.all.isEmpty)
        let ids = Set(try Gallery(path: path, now: { Self.start }).subjects.map(\.id))
        #expect(ids == Set((0..<count).map { "s\($0)" }))
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ failure: String) { lock.withLock { list.append(failure) } }
    var all: [String] { lock.withLock { list } }
}
