// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets: the footage container parsers (CaptureFuzz), the JPEG and PNG decoders
// (JPEGFuzz, PNGFuzz), raw camera frames (RawFuzz), the dlib model readers (DlibModelFuzz), EventLog's JSON parser and canonical
// encoder (JSONFuzz) and event envelopes and times (EventFuzz), and the parsers' throughput benchmark. `make fuzz` (Makefile.fuzz) builds each with `-sanitize=fuzzer,address`; the package is
// kept apart so that the main package never carries sanitizer flags.
let package = Package(
    name: "SightlineFuzz",
    dependencies: [
        .package(name: "Sightline", path: ".."),
        // The main package's own dependency (same version): the fixed key the event seeds are signed with.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"]),
        .executableTarget(
            name: "CaptureFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "SightlineCapture", package: "Sightline")]
        ),
        .executableTarget(
            name: "JPEGFuzz",
            dependencies: ["FuzzSupport", .product(name: "SightlineImaging", package: "Sightline")]
        ),
        .executableTarget(
            name: "PNGFuzz",
            dependencies: ["FuzzSupport", .product(name: "SightlineImaging", package: "Sightline")]
        ),
        .executableTarget(
            name: "RawFuzz",
            dependencies: ["FuzzSupport", .product(name: "SightlineImaging", package: "Sightline")]
        ),
        .executableTarget(
            name: "DlibModelFuzz",
            dependencies: ["FuzzSupport", .product(name: "SightlineFaceKit", package: "Sightline")]
        ),
        // Signed envelopes and boundary cases, the seeds of JSONFuzz and EventFuzz.
        .target(
            name: "EventSeeds",
            dependencies: [
                .product(name: "SightlineEventLog", package: "Sightline"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "JSONFuzz",
            dependencies: ["FuzzSupport", "EventSeeds", .product(name: "SightlineEventLog", package: "Sightline")]
        ),
        .executableTarget(
            name: "EventFuzz",
            dependencies: ["FuzzSupport", "EventSeeds", .product(name: "SightlineEventLog", package: "Sightline")]
        ),
        // Parse throughput on a real file; built without sanitizers (see Makefile.fuzz).
        .executableTarget(
            name: "CaptureBench",
            dependencies: [.product(name: "SightlineCapture", package: "Sightline")]
        ),
    ]
)
