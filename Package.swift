// swift-tools-version:6.1
// Mesh: a broker-less service mesh for Swift on Linux.
// Layering (arrows point at what a target may import) is described in README.md#architecture.
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let coreMetrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "Mesh",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MeshCore", targets: ["MeshCore"]),
        .library(name: "MeshWire", targets: ["MeshWire"]),
        .library(name: "MeshCrypto", targets: ["MeshCrypto"]),
        .library(name: "MeshResilience", targets: ["MeshResilience"]),
        .library(name: "MeshMembership", targets: ["MeshMembership"]),
        .library(name: "MeshLog", targets: ["MeshLog"]),
        .library(name: "MeshRPC", targets: ["MeshRPC"]),
        .library(name: "MeshTransport", targets: ["MeshTransport"]),
        .library(name: "MeshNode", targets: ["MeshNode"]),
        .library(name: "MeshArchive", targets: ["MeshArchive"]),
        .library(name: "HotelReservation", targets: ["HotelReservation"]),
        .executable(name: "meshnode", targets: ["meshnode"]),
        .executable(name: "meshprobe", targets: ["meshprobe"]),
        .executable(name: "logtorture", targets: ["logtorture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C: libsodium from the system (apt: libsodium-dev).
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),

        // Pure layer: no sockets, no files, no clocks of their own.
        .target(name: "MeshCore"),
        .target(name: "MeshWire", dependencies: ["MeshCore", nioCore]),
        .target(name: "MeshResilience", dependencies: ["MeshCore"]),
        .target(name: "MeshMembership", dependencies: ["MeshCore", "MeshWire"]),
        .target(
            name: "MeshRPC", dependencies: ["MeshCore", "MeshWire", "MeshResilience", logging, metrics, coreMetrics]),
        .target(name: "MeshSaga", dependencies: ["MeshCore", "MeshWire", "MeshRPC"]),

        // Crypto: identities, certificates, handshake state machine, frame sealing.
        .target(name: "MeshCrypto", dependencies: ["CSodium", "MeshCore", "MeshWire", nioCore]),

        // I/O shells.
        .target(name: "MeshLog", dependencies: ["MeshCore"]),
        .target(
            name: "MeshTransport",
            dependencies: ["MeshCore", "MeshWire", "MeshCrypto", "MeshRPC", logging] + nio
        ),
        .target(
            name: "MeshNode",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", "MeshRPC", "MeshTransport", "MeshMembership",
                "MeshResilience", "MeshLog", "MeshSaga", logging, metrics, lifecycle,
            ] + nio
        ),

        .target(
            name: "MeshArchive",
            dependencies: [
                "MeshCore", "MeshLog", "MeshResilience", "CSodium", logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio
        ),

        // The admin HTTP endpoint (/metrics, /healthz, /readyz) that meshnode serves on its own address.
        .target(
            name: "MeshAdminHTTP",
            dependencies: [
                "MeshNode", "MeshTransport", logging, lifecycle, nioCore,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Domain: the hotel services (pure: no sockets, no files, no clocks).
        .target(name: "HotelReservation", dependencies: ["MeshCore", "MeshWire", "MeshSaga", "MeshRPC"]),

        // Executables.
        .executableTarget(
            name: "meshnode",
            dependencies: [
                "MeshNode", "MeshArchive", "MeshAdminHTTP", "HotelReservation", "MeshCore", "MeshCrypto", "MeshLog",
                "MeshRPC",
                "MeshTransport", "MeshWire", argumentParser, logging, lifecycle, metrics,
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + nio
        ),
        .executableTarget(
            name: "meshprobe",
            dependencies: [
                "MeshNode", "MeshCore", "MeshRPC", "MeshTransport", "MeshWire", "MeshLog", argumentParser, logging,
            ] + nio,
            path: "tools/meshprobe"
        ),
        .executableTarget(name: "logtorture", dependencies: ["MeshLog", argumentParser], path: "tools/logtorture"),

        // Test support and tests.
        .target(name: "MeshTestKit", dependencies: ["MeshCore", "MeshWire", logging], path: "Tests/MeshTestKit"),
        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore", "MeshTestKit"]),
        .testTarget(name: "MeshWireTests", dependencies: ["MeshWire", "MeshCore", "MeshTestKit", nioCore]),
        .testTarget(
            name: "MeshCryptoTests", dependencies: ["MeshCrypto", "MeshCore", "MeshWire", "MeshTestKit", nioCore]),
        .testTarget(name: "MeshResilienceTests", dependencies: ["MeshResilience", "MeshCore", "MeshTestKit"]),
        .testTarget(
            name: "MeshMembershipTests", dependencies: ["MeshMembership", "MeshCore", "MeshWire", "MeshTestKit"]),
        .testTarget(name: "MeshLogTests", dependencies: ["MeshLog", "MeshCore", "MeshTestKit"]),
        .testTarget(name: "MeshSagaTests", dependencies: ["MeshSaga", "MeshCore", "MeshWire", "MeshTestKit"]),
        .testTarget(
            name: "HotelReservationTests",
            dependencies: ["HotelReservation", "MeshCore", "MeshRPC", "MeshSaga", "MeshWire", "MeshTestKit"]
        ),
        .testTarget(
            name: "MeshTransportTests",
            dependencies: ["MeshTransport", "MeshCore", "MeshCrypto", "MeshWire", "MeshRPC", "MeshTestKit", logging]
                + nio
        ),
        .testTarget(
            name: "MeshRPCTests",
            dependencies: [
                "MeshRPC", "MeshCore", "MeshResilience", "MeshTestKit", "MeshTransport", "MeshCrypto", "MeshWire",
                logging,
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ] + nio
        ),
        .testTarget(
            name: "MeshNodeTests",
            dependencies: [
                "MeshNode", "MeshCore", "MeshCrypto", "MeshLog", "MeshMembership", "MeshRPC", "MeshResilience",
                "MeshSaga", "MeshTransport", "MeshWire", "MeshTestKit", logging, metrics,
            ] + nio
        ),
        .testTarget(
            name: "MeshArchiveTests",
            dependencies: [
                "MeshArchive", "MeshCore", "MeshLog", "MeshResilience", "MeshTestKit", logging,
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ] + nio
        ),
        .testTarget(
            name: "MeshRuntimeTests",
            dependencies: [
                "meshnode", "MeshAdminHTTP", "MeshNode", "MeshCore", "MeshTransport", "MeshRPC", "MeshWire",
                "MeshTestKit", logging,
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Prometheus", package: "swift-prometheus"), lifecycle,
            ] + nio
        ),
    ]
)
