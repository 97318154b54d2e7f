// swift-tools-version:6.1
// LogBench: MeshLog durable appends vs SQLite (WAL, synchronous=FULL), the disk's fdatasync rate, recovery and reads.
// A separate package so it never disturbs the root build. MeshLog and MeshCore are symlinked from ../../Sources
// (no network needed: they have no external dependencies).
import PackageDescription

let package = Package(
    name: "LogBench",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "MeshCore"),
        .target(name: "MeshLog", dependencies: ["MeshCore"]),
        .executableTarget(name: "LogBench", dependencies: ["MeshLog", "CSQLite"]),
    ]
)
