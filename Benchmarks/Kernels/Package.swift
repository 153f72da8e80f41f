// swift-tools-version: 6.1
import PackageDescription

// Release-only benchmarks of NeuralKernels, kept apart from the tests. Build with the same SIGHTLINE_MARCH as
// the product, e.g. `SIGHTLINE_MARCH=native swift run -c release`.
let package = Package(
    name: "KernelsBenchmark",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Sightline", path: "../..")],
    targets: [
        .executableTarget(
            name: "KernelsBenchmark",
            dependencies: [.product(name: "NeuralKernels", package: "Sightline")]
        ),
    ]
)
