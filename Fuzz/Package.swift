// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets: the footage container parsers (CaptureFuzz), the JPEG and PNG decoders
// (JPEGFuzz, PNGFuzz) and the dlib model readers (DlibModelFuzz), and the parsers' throughput
// benchmark. `make fuzz` (Makefile.fuzz) builds each with `-sanitize=fuzzer,address`; the package is
// kept apart so that the main package never carries sanitizer flags.
let package = Package(
    name: "SightlineFuzz",
    dependencies: [
        .package(name: "Sightline", path: ".."),
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
            name: "DlibModelFuzz",
            dependencies: ["FuzzSupport", .product(name: "SightlineFaceKit", package: "Sightline")]
        ),
        // Parse throughput on a real file; built without sanitizers (see Makefile.fuzz).
        .executableTarget(
            name: "CaptureBench",
            dependencies: [.product(name: "SightlineCapture", package: "Sightline")]
        ),
    ]
)
