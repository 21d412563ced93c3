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
    ],
    targets: [
        // System-library shims: a modulemap and one header each, wrapped at once in Swift.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        /// libpng's low-level read and write API behind setjmp (libpng reports errors by
        /// longjmp, which must never cross Swift frames): the streaming PNG decoder and the
        /// tuned writer of synthetic frames.
        .target(name: "CPNGIO", dependencies: ["CPNG"], linkerSettings: [.linkedLibrary("png16")]),

        /// Pure numerical kernels over buffers; no I/O, no dependencies.
        .target(name: "Kernels", swiftSettings: kernelSettings),
        /// Model, database access, file formats, embedded PostgreSQL, errors.
        .target(
            name: "Shared",
            dependencies: [
                "CLibPQ", "CHDF5", "CPNG", "CPNGIO", "COpenBLAS", "Kernels",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Resources/schema.sql")],
            swiftSettings: swiftSettings
        ),
        /// Claim loop, task execution, per-kind task runners.
        .target(
            name: "Worker",
            dependencies: ["Shared", "Kernels", "COpenBLAS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        /// Planning shards per data kind, lease reaping, job bookkeeping.
        .target(
            name: "Coordinator",
            dependencies: ["Shared", "Kernels", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ctl",
            dependencies: [
                "Shared", "Worker", "Coordinator", "Kernels",
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
            name: "SliplineTestSupport", dependencies: ["Shared"], path: "Tests/Support",
            swiftSettings: swiftSettings),
        /// BCDI pipeline: planner, runners, and end to end through the real `ctl`.
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Shared", "Worker", "Coordinator", "Kernels", "SliplineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueTests",
            dependencies: ["Shared", "Worker", "Coordinator", "SliplineTestSupport"],
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
    ]
)
