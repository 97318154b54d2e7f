// swift-tools-version:6.1
// libFuzzer harness for MeshWire: a separate package so the main build never needs the fuzzer runtime.
// Build and run with ./run.sh (see README.md).
import PackageDescription

let package = Package(
    name: "MeshFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named explicitly: a path dependency's identity would otherwise be the checkout's directory name.
        .package(name: "Mesh", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "MeshFuzzFrames",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "MeshCore", package: "Mesh"),
                .product(name: "MeshWire", package: "Mesh"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // No compiler-generated `main`: the entry point is `MeshFuzzFrames_main` (see FuzzerEntry.swift).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .target(name: "CFuzzerDriver"),
    ]
)
