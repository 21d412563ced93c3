// swift-tools-version:6.0
import PackageDescription

/// One settings array for every Swift target. Release builds use whole-module optimisation
/// (SwiftPM's default for `-c release`) and `-Ounchecked` is deliberately *not* used: bounds
/// checks stay on in safe code, and the hot kernels opt out locally with unsafe buffers.
let swiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

/// Kernels are optimised in debug builds too: the numerical tests then take ≈5 s instead of
/// ≈30 s (what keeps `ops/test.sh --fast` quick), bounds checks stay on. To step through a
/// kernel in a debugger, build with SLIPLINE_DEBUG_KERNELS=1.
let kernelSettings: [SwiftSetting] =
    Context.environment["SLIPLINE_DEBUG_KERNELS"] == nil
    ? swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))] : swiftSettings

let package = Package(
    name: "Slipline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ctl", targets: ["ctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The dashboard (`ctl serve`) and the workers' /metrics endpoint.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // System-library shims: a modulemap and one header each, wrapped at once in Swift.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        /// zlib's inflate: `.npz` members and MATLAB v5 compressed elements (Formats/InflatingReader).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// LZ4 block decoding for Dectris bitshuffle/LZ4 chunks (Formats/BitshuffleLZ4).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        /// libavformat/libavcodec/libswscale: AVI/MP4/MKV TEM videos (Formats/Video).
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),

        /// libpng's low-level read and write API behind setjmp (libpng reports errors by
        /// longjmp, which must never cross Swift frames): the streaming PNG decoder and the
        /// tuned writer of synthetic frames.
        .target(name: "CPNGIO", dependencies: ["CPNG"], linkerSettings: [.linkedLibrary("png16")]),

        /// AVX2 loops of the 4D-STEM kernels, compiled per function for AVX2 and dispatched at
        /// run time (the Swift targets are built for baseline x86-64); Kernels/STEM4DVectorUnits.
        /// Optimised in debug builds too, like Kernels.
        .target(name: "CSTEM4DSIMD", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        /// AVX loops of the TEM ridge filter (Gaussian passes, scale combination), dispatched at
        /// run time and bit-for-bit equal to their Swift twins; Kernels/TEM/RidgeFilter.
        .target(name: "CTEMSIMD", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        /// Pure numerical kernels over buffers; no I/O, no dependencies beyond their C loops.
        .target(name: "Kernels", dependencies: ["CSTEM4DSIMD", "CTEMSIMD"], swiftSettings: kernelSettings),
        /// Model, database access, file formats, embedded PostgreSQL, errors.
        .target(
            name: "Shared",
            dependencies: [
                "CLibPQ", "CHDF5", "CPNG", "CPNGIO", "Kernels", "CTIFF", "CTurboJPEG", "CZlib", "CLZ4", "CFFmpeg",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Resources/schema.sql")],
            swiftSettings: swiftSettings
        ),
        /// The claim loop and task execution; knows no data kind (runners are plugged in).
        .target(
            name: "Worker",
            dependencies: [
                "Shared", .product(name: "Logging", package: "swift-log"),
                // Task durations and counts through swift-metrics (a no-op unless the process
                // bootstraps a backend, as `ctl worker --metrics-port` does).
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        /// Job planning, lease reaping, job bookkeeping; knows no data kind (planners are plugged in).
        .target(
            name: "Coordinator",
            dependencies: ["Shared", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        /// The data kinds, one folder each (TEM/, BCDI/, STEM4D/, Bench/): options, planning,
        /// shards, merges, result tables, summaries, exporters and their synth/eval/bench
        /// commands, behind the `Kind` protocol (Runtime/). `Kinds.all` is the only list.
        .target(
            name: "Kinds",
            dependencies: [
                "Shared", "Kernels", "Worker", "Coordinator", "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        /// `ctl serve`: the web dashboard (HTTP server, JSON API, OpenAPI document, pages
        /// embedded in the binary) and the Prometheus /metrics endpoint also used by workers.
        .target(
            name: "Dashboard",
            dependencies: [
                "Shared", "Kernels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Served from the binary itself: beamline machines are offline, and a lone `ctl`
            // copied to a node must still serve its pages.
            resources: [
                .embedInCode("Resources/page.html"), .embedInCode("Resources/app.css"),
                .embedInCode("Resources/app.js"), .embedInCode("Resources/plots.js"),
                .embedInCode("Resources/view3d.js"), .embedInCode("Resources/openapi.json"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ctl",
            dependencies: [
                "Shared", "Worker", "Coordinator", "Kernels", "Kinds", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "KernelsTests", dependencies: ["Kernels"],
            swiftSettings: swiftSettings),
        .testTarget(name: "SharedTests", dependencies: ["Shared"], swiftSettings: swiftSettings),
        /// Test harness: a real PostgreSQL cluster per test process, a fresh database per
        /// test, and a runner for the real `ctl` binary.
        .target(
            name: "SliplineTestSupport", dependencies: ["Shared", "Kernels"], path: "Tests/Support",
            swiftSettings: swiftSettings),
        /// The kinds without a database: planners, shards and merges as functions over files.
        .testTarget(
            name: "KindsTests",
            dependencies: ["Shared", "Kernels", "Kinds", "Worker", "Coordinator", "SliplineTestSupport"],
            swiftSettings: swiftSettings
        ),
        /// Every kind end to end through the real queue and the real `ctl`.
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Shared", "Worker", "Coordinator", "Kernels", "Kinds", "SliplineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueTests",
            dependencies: ["Shared", "Worker", "Coordinator", "Kinds", "SliplineTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        /// Many nodes: hosts in network namespaces over TCP with passwords, chaos (workers
        /// SIGKILLed, the server restarted), all through the real `ctl`.
        .testTarget(
            name: "ClusterTests",
            dependencies: ["Shared", "Kernels", "SliplineTestSupport"],
            swiftSettings: swiftSettings
        ),
        /// The dashboard over real HTTP against a real PostgreSQL, and in headless Chromium.
        .testTarget(
            name: "DashboardTests",
            dependencies: ["Shared", "Dashboard", "SliplineTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
