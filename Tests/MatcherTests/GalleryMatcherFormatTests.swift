import Foundation
import Testing
@testable import Matcher

/// The gallery matcher's default storage (int8 screen, exact float32 re-rank) decides exactly as float32 storage
/// does: same subject, same distance, same unknowns — including queries near the threshold and near the margin.
@Suite struct GalleryMatcherFormatTests {
    @Test func int8DefaultDecidesExactlyAsFloat32() throws {
        var g = SeededGenerator(state: 42)
        let dimension = 128
        let consent = Consent(purpose: "test", grantedBy: "the subject", grantedAt: Date(timeIntervalSince1970: 0))
        // dlib-like descriptors: norm about 1, templates of one subject about 0.35 apart.
        // Uniform in [-√3, √3)·scale: standard deviation `scale`.
        func vector(scale: Float) -> [Float] { (0..<dimension).map { _ in g.uniform() * 1.7320508 * scale } }
        var subjects: [EnrolledSubject] = []
        for s in 0..<40 {
            let centre = vector(scale: 0.09)
            let templates = (0..<3).map { _ in zip(centre, vector(scale: 0.02)).map { $0 + $1 } }
            subjects.append(EnrolledSubject(id: "s\(s)", consent: consent, templates: templates))
        }
        let compact = try GalleryMatcher(subjects: subjects, dimension: dimension)
        let exact = try GalleryMatcher(subjects: subjects, dimension: dimension, format: .float32)
        var decisions: [OpenSetPolicy.Decision] = []
        for q in 0..<600 {
            let base = subjects[q % subjects.count].templates[q % 3]
            // From very close to far beyond the threshold, so every kind of decision occurs.
            let noise = Float(q % 12) * 0.006
            let query = zip(base, vector(scale: noise)).map { $0 + $1 }
            let a = try compact.identify(query), b = try exact.identify(query)
            #expect(a == b, "query \(q)")
            decisions.append(b)
        }
        let matched = decisions.filter { if case .match = $0 { true } else { false } }.count
        #expect(matched > 100 && matched < 550, "both matches and unknowns occur: \(matched) of 600")
    }

    /// `GalleryMatcher` is the `Sendable` snapshot of a `FlatIndex` (which is not): tasks share one and agree.
    @Test func oneMatcherServesManyTasksAtOnce() async throws {
        let consent = Consent(purpose: "test", grantedBy: "the subject", grantedAt: Date(timeIntervalSince1970: 0))
        let subjects = (0..<20).map { s in
            EnrolledSubject(id: "s\(s)", consent: consent,
                            templates: [(0..<16).map { Float(($0 * 7 + s * 13) % 17) / 17 }])
        }
        let matcher = try GalleryMatcher(subjects: subjects, dimension: 16)
        let expected = try subjects.map { try matcher.identify($0.templates[0]) }
        let answers = try await withThrowingTaskGroup(of: (Int, OpenSetPolicy.Decision).self) { group in
            for i in 0..<200 {
                group.addTask { (i, try matcher.identify(subjects[i % 20].templates[0])) }
            }
            var out: [(Int, OpenSetPolicy.Decision)] = []
            for try await answer in group { out.append(answer) }
            return out
        }
        #expect(answers.count == 200)
        for (i, decision) in answers { #expect(decision == expected[i % 20]) }
    }
}
