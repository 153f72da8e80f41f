// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SIMD code generation. A default `swift build` targets baseline x86-64 (SSE2), where
// `addingProduct` becomes a libm call per lane. `SIGHTLINE_MARCH` (set by the Makefile, default
// `native`) chooses the target CPU for the kernel modules: `x86-64-v3` (AVX2+FMA+F16C),
// `x86-64-v4` (AVX-512), `native`, or `baseline` for a binary that runs on any x86-64.
// On aarch64 NEON is always on and no flag is needed.
let march = ProcessInfo.processInfo.environment["SIGHTLINE_MARCH"] ?? "baseline"
// The compute modules are optimised in debug builds too: `make test` runs whole networks and
// detectors on real photos, which take minutes unoptimised and seconds optimised.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
// Without errno, `Float.squareRoot()` (C `sqrtf` underneath on Linux) becomes a vector instruction in loops.
let noMathErrno: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
let kernelFlags: [SwiftSetting] = {
    #if arch(x86_64)
    guard march != "baseline" else { return optimizedInDebug + noMathErrno }
    return [.unsafeFlags(["-Xcc", "-march=\(march)"])] + optimizedInDebug + noMathErrno
    #else
    return optimizedInDebug + noMathErrno
    #endif
}()
let kernelCFlags: [CSetting] = {
    #if arch(x86_64)
    guard march != "baseline" else { return [] }
    return [.unsafeFlags(["-march=\(march)"])]
    #else
    return []
    #endif
}()

// The start-up CPU check (Sources/CCPUCheck) is compiled without the flags above, so that it runs on any x86-64: a
// program built for x86-64-v2/v3/v4 refuses an older CPU with a clear message instead of dying on an illegal
// instruction later. baseline runs anywhere, and native or a named CPU is built where it runs: no check.
let cpuCheckCSettings: [CSetting] = {
    switch march {
    case "x86-64-v2": return [.define("CCPUCheck_LEVEL", to: "2")]
    case "x86-64-v3": return [.define("CCPUCheck_LEVEL", to: "3")]
    case "x86-64-v4": return [.define("CCPUCheck_LEVEL", to: "4")]
    default: return []
    }
}()
// Each program keeps the check's object whatever the linker drops (its constructor is otherwise never referenced).
let cpuCheckLinked: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--undefined=CCPUCheck_required_level"])]

let package = Package(
    name: "Sightline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sightlined", targets: ["SightlineDaemon"]),
        .executable(name: "sightline", targets: ["SightlineCLI"]),
        .executable(name: "sightline-collector", targets: ["SightlineCollector"]),
        // Benchmarks of Sightline's own paths for Benchmarks/*/bench; built by `make build`, not installed.
        .executable(name: "sightline-bench", targets: ["SightlineBench"]),
        .library(name: "NeuralKernels", targets: ["NeuralKernels"]),
        // For the fuzz package (Fuzz/), which builds the container parsers with libFuzzer.
        .library(name: "SightlineCapture", targets: ["Capture"]),
        // For the fuzz package too: the JPEG and PNG decoders and the dlib model readers.
        .library(name: "SightlineImaging", targets: ["Imaging"]),
        .library(name: "SightlineFaceKit", targets: ["FaceKit"]),
        .library(name: "SightlineEventLog", targets: ["EventLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Events: signing, the spool, delivery and the collector (EventLog never imports HTTP).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C shims: one per system library, every symbol prefixed.
        .target(name: "CJPEG", cSettings: kernelCFlags, linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CV4L2", linkerSettings: [.linkedLibrary("v4l2")]),
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        // Debian's libmosquitto (libmosquitto-dev): the MQTT client under the `MQTT` publisher.
        .target(name: "CMosquitto", linkerSettings: [.linkedLibrary("mosquitto")]),
        // Debian's FFmpeg 5.1 (libavformat-dev, libavcodec-dev, libavutil-dev, libswscale-dev); headers in the
        // default include path, as `pkg-config --cflags libavformat` says.
        .target(
            name: "CFFmpeg",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avutil"),
                .linkedLibrary("swscale"),
                // rtsps:// cameras: Sightline's own verified TLS connection (TLSBridge.c).
                .linkedLibrary("gnutls"),
            ]
        ),
        .target(name: "CNeuralTarget"),
        .target(name: "CCPUCheck", cSettings: cpuCheckCSettings),
        // Matcher's int8 dot-product kernels (AVX-512 VNNI, AVX-VNNI, AVX2, NEON dot product, portable), chosen at
        // run time under the SIGHTLINE_ISA cap.
        .target(
            name: "CMatcherKernels", cSettings: kernelCFlags + [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),

        .target(name: "SightlineCore"),
        // Syscalls the swift-system way (one funnel, typed errno, owned descriptors) and durable file writing.
        .target(name: "SightlineSystem"),
        .target(
            name: "Imaging",
            dependencies: ["SightlineCore", "CJPEG", "CZlib"],
            exclude: ["README.md"],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "Capture",
            dependencies: [
                "SightlineCore", "Imaging", "CV4L2", "CFFmpeg",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "NeuralKernels", dependencies: ["CNeuralTarget"], exclude: ["README.md"], swiftSettings: kernelFlags),
        .target(
            name: "FaceKit",
            dependencies: [
                "SightlineCore", "Imaging", "NeuralKernels",
                // Whether the target has FMA (FHOG's histogram votes).
                "CNeuralTarget",
                // The SHA-256 check of model files against their manifest.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "Matcher",
            dependencies: [
                "SightlineCore", "SightlineSystem", "CMatcherKernels", "CNeuralTarget",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "EventLog",
            dependencies: [
                "SightlineCore", "SightlineSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "Forwarder",
            dependencies: [
                "EventLog",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Collector",
            dependencies: [
                "EventLog",
                "Imaging",  // MotionJPEG.isClip: the media type of a crossing's clip
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "SightlineCollector",
            dependencies: [
                "Collector", "EventLog", "SightlineCore", "CCPUCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: cpuCheckLinked
        ),
        .target(
            name: "Traffic",
            dependencies: [
                "SightlineCore", "Imaging",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: optimizedInDebug
        ),
        // Synthetic footage for the traffic evaluation (`make test` renders a small suite).
        .target(
            name: "TrafficScenes",
            dependencies: ["SightlineCore", "Imaging", "Traffic"],
            swiftSettings: optimizedInDebug
        ),
        // The daemon's YAML configuration, shared by `sightlined` and `sightline doctor`.
        .target(
            name: "SightlineConfig",
            dependencies: ["Traffic", "Imaging", "EventLog", "Forwarder", .product(name: "Yams", package: "Yams")]
        ),
        // Publishing events to an MQTT broker, with Home Assistant discovery. Only the daemon and the CLI use it.
        .target(
            name: "MQTT",
            dependencies: [
                "CMosquitto", "EventLog", "SightlineConfig", "SightlineCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),
        // The daemon's domain logic: pipelines, stages, event sink, recognition, reload, metrics, systemd.
        // `sightlined` runs it; `sightline replay` and `eval` run its pipelines over footage.
        .target(
            name: "SightlineRuntime",
            dependencies: [
                "SightlineCore", "Imaging", "Capture", "FaceKit", "Matcher", "Traffic", "EventLog", "Forwarder",
                "SightlineConfig", "MQTT",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "SightlineDaemon",
            dependencies: [
                "SightlineRuntime", "SightlineConfig", "SightlineCore", "CCPUCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: cpuCheckLinked
        ),
        // What `sightline` and `sightline-bench` share: the model options, image loading, errors, async bridging.
        .target(
            name: "SightlineTools",
            dependencies: [
                "SightlineCore", "Imaging", "FaceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "SightlineCLI",
            dependencies: [
                "SightlineCore", "Imaging", "Capture", "FaceKit", "Matcher", "EventLog", "Forwarder", "Traffic",
                "TrafficScenes", "SightlineConfig", "SightlineRuntime", "SightlineTools", "MQTT", "CCPUCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: cpuCheckLinked
        ),
        .executableTarget(
            name: "SightlineBench",
            dependencies: [
                "SightlineCore", "Imaging", "Capture", "FaceKit", "Matcher", "EventLog", "Forwarder", "SightlineTools",
                "SightlineTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SightlineTestKit",
            dependencies: [
                "SightlineCore", "SightlineSystem", "Imaging", "Capture", "CV4L2", "EventLog",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "SightlineCoreTests", dependencies: ["SightlineCore"]),
        .testTarget(name: "SightlineSystemTests", dependencies: ["SightlineSystem", "SightlineTestKit"]),
        // Fixtures are read from the source tree (#filePath), not from a bundle.
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "SightlineTestKit"], exclude: ["Fixtures"]),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "CV4L2", "SightlineTestKit"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "NeuralKernelsTests", dependencies: ["NeuralKernels"], swiftSettings: kernelFlags),
        .testTarget(name: "FaceKitTests", dependencies: ["FaceKit", "SightlineTestKit"], exclude: ["Golden"]),
        .testTarget(
            name: "EventLogTests", dependencies: ["EventLog", "SightlineSystem", "SightlineTestKit"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "Collector", "Forwarder", "EventLog", "SightlineCore", "SightlineTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "MatcherTests",
            dependencies: ["Matcher", "CMatcherKernels", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "TrafficTests",
            dependencies: ["Traffic", "TrafficScenes", "Imaging", "SightlineConfig"]
        ),
        .testTarget(
            name: "SightlineConfigTests",
            dependencies: [
                "SightlineConfig", "SightlineCore", "Traffic", "EventLog", "Forwarder",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "SightlineDaemonTests",
            dependencies: [
                // The executable only so that `sightlined` is built for the process tests; they import the library.
                "SightlineDaemon", "SightlineRuntime", "SightlineConfig", "SightlineTestKit", "FaceKit", "Matcher",
                "Traffic", "EventLog", "Imaging",
                "Forwarder", "MQTT",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MQTTTests",
            dependencies: [
                "MQTT", "EventLog", "SightlineConfig", "SightlineCore", "SightlineTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SightlineCLITests",
            dependencies: [
                "Matcher", "SightlineCLI", "SightlineConfig", "SightlineTestKit", "SightlineTools", "Capture",
                "EventLog", "FaceKit", "Imaging", "SightlineCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
