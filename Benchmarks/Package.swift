// swift-tools-version:6.1
// rpcbench: unary echo over loopback, grpc-swift-2 vs bare SwiftNIO vs Mesh, in one run.
// Kept out of the main package so gRPC's dependency graph (BoringSSL, HTTP/2) never touches the library.
import PackageDescription

let package = Package(
    name: "MeshBenchmarks",
    platforms: [.macOS("15.0")],
    products: [
        .executable(name: "rpcbench", targets: ["rpcbench"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(name: "Mesh", path: ".."),
    ],
    targets: [
        // Target-independent machinery: the EchoTarget protocol, closed-loop driver, statistics, report,
        // command line, and the bare-NIO baseline. No gRPC here, so its tests build quickly.
        .target(
            name: "RPCBenchKit",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "rpcbench",
            dependencies: [
                "RPCBenchKit",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "MeshTransport", package: "Mesh"),
                .product(name: "MeshNode", package: "Mesh"),
            ]
        ),
        .testTarget(
            name: "RPCBenchKitTests",
            dependencies: [
                "RPCBenchKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
)
