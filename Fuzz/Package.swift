// swift-tools-version: 6.1
import PackageDescription

// libFuzzer target for the footage container parsers, and their throughput benchmark.
// `make fuzz` (Makefile.fuzz) builds CaptureFuzz with `-sanitize=fuzzer,address`; the package is
// kept apart so that the main package never carries sanitizer flags.
let package = Package(
    name: "SightlineFuzz",
    dependencies: [
        .package(name: "Sightline", path: ".."),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "CaptureFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "SightlineCapture", package: "Sightline")]
        ),
        // Parse throughput on a real file; built without sanitizers (see Makefile.fuzz).
        .executableTarget(
            name: "CaptureBench",
            dependencies: [.product(name: "SightlineCapture", package: "Sightline")]
        ),
    ]
)
