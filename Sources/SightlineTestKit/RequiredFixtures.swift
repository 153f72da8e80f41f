import Foundation

/// Whether a test that needs an outside fixture (the dlib model files, fetched by `Models/fetch`) may run.
///
/// A plain `swift test` on a checkout without the models skips those tests with a reason. `make test` (and so
/// CI) sets `SIGHTLINE_REQUIRE_MODELS=1`: then they run anyway and fail on the missing file, so that a
/// guarantee such as the privacy suites can never pass by being skipped.
public enum RequiredFixtures {
    public static var modelsRequired: Bool { ProcessInfo.processInfo.environment["SIGHTLINE_REQUIRE_MODELS"] == "1" }

    /// `present`, or true when the models are required (the test then fails on what is missing).
    public static func models(_ present: Bool) -> Bool { present || modelsRequired }
}
