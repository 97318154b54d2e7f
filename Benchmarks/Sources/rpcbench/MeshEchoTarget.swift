import RPCBenchKit

// ============================================================================================================
// MESH SLOT. To add the Mesh column:
//   1. In Benchmarks/Package.swift uncomment the two lines marked "MESH SLOT" (the `path: ".."` package and the
//      MeshTransport product on the rpcbench target).
//   2. Replace this file: `start()` launches a Mesh echo server (add a `serve-mesh` case in main.swift, or start
//      a node in-process), `makeClient` returns an `AsyncEchoClient` whose `echo(_:)` is one unary MeshTransport
//      call with the payload as body. Keep the name "mesh": the ratio rows mesh/grpc and mesh/nio look it up.
// Until then every mesh cell and every ratio row prints "n/a".
// ============================================================================================================

/// Placeholder for the Mesh transport; reports itself unavailable.
struct MeshEchoTarget: EchoTarget {
    let name = "mesh"

    func start() async throws {
        throw BenchError(.targetUnavailable, "Mesh column not wired yet (Sources/rpcbench/MeshEchoTarget.swift)")
    }

    func makeClient(concurrency: Int) async throws -> any EchoClient {
        throw BenchError(.targetUnavailable, "Mesh column not wired yet")
    }

    func stop() async {}
}
