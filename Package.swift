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
        .target(name: "MeshWire", dependencies: ["MeshCore", .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "MeshResilience", dependencies: ["MeshCore"]),
        .target(name: "MeshMembership", dependencies: ["MeshCore", "MeshWire"]),
        .target(name: "MeshRPC", dependencies: ["MeshCore", "MeshWire", "MeshResilience", logging, metrics]),
        .target(name: "MeshSaga", dependencies: ["MeshCore", "MeshWire"]),

        // Crypto: identities, certificates, handshake state machine, frame sealing.
        .target(name: "MeshCrypto", dependencies: ["CSodium", "MeshCore", "MeshWire"]),

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

        // Domain: the hotel services (pure: no sockets, no files, no clocks).
        .target(name: "HotelReservation", dependencies: ["MeshCore", "MeshWire", "MeshSaga", "MeshRPC"]),

        // Executables.
        .executableTarget(name: "meshnode", dependencies: ["MeshNode", argumentParser, logging, lifecycle]),
        .executableTarget(
            name: "meshprobe",
            dependencies: ["MeshNode", argumentParser, logging],
            path: "tools/meshprobe"
        ),
        .executableTarget(name: "logtorture", dependencies: ["MeshLog", argumentParser], path: "tools/logtorture"),

        // Test support and tests.
        .target(name: "MeshTestKit", dependencies: ["MeshCore", "MeshWire", logging], path: "Tests/MeshTestKit"),
        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore", "MeshTestKit"]),
        .testTarget(name: "MeshWireTests", dependencies: ["MeshWire", "MeshTestKit"], resources: []),
        .testTarget(name: "MeshCryptoTests", dependencies: ["MeshCrypto", "MeshWire", "MeshTestKit"]),
        .testTarget(name: "MeshResilienceTests", dependencies: ["MeshResilience", "MeshTestKit"]),
        .testTarget(name: "MeshMembershipTests", dependencies: ["MeshMembership", "MeshTestKit"]),
        .testTarget(name: "MeshLogTests", dependencies: ["MeshLog", "MeshTestKit"]),
        .testTarget(name: "MeshSagaTests", dependencies: ["MeshSaga", "MeshTestKit"]),
        .testTarget(name: "HotelReservationTests", dependencies: ["HotelReservation", "MeshSaga", "MeshTestKit"]),
        .testTarget(
            name: "MeshTransportTests",
            dependencies: ["MeshTransport", "MeshCrypto", "MeshWire", "MeshRPC", "MeshTestKit", logging] + nio
        ),
        .testTarget(
            name: "MeshRPCTests",
            dependencies: [
                "MeshRPC", "MeshTestKit", "MeshTransport", "MeshCrypto", "MeshWire", logging,
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ] + nio
        ),
        .testTarget(name: "MeshNodeTests", dependencies: ["MeshNode", "MeshTestKit", logging]),
    ]
)
