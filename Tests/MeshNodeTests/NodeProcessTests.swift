import Foundation
import Logging
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import NIOPosix
import Testing

/// Real `meshnode` processes on loopback.
@Suite("meshnode processes", .serialized)
final class NodeProcessTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-node-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func startNode(
        _ name: String, seeds: [String] = [], host: String = "127.0.0.1", keys: String? = nil
    ) async throws -> (NodeProcess, HostPort) {
        var args = [
            "run", "--name", name, "--listen", "\(host):0", "--data-dir", "\(dir)/\(name)", "--log-level", "info",
        ]
        if let keys {
            args += [
                "--trust", "\(keys)/cluster.trust", "--cert", "\(keys)/\(name).cert", "--key", "\(keys)/\(name).key",
            ]
        }
        for s in seeds { args += ["--seed", s] }
        let p = try NodeProcess(product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name).log")
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
            "\(name) did not report its address; stderr:\n\(p.stderr)")
        return (p, address)
    }

    func probe() -> MeshTransport {
        var logger = Logger(label: "test.probe")
        logger.logLevel = .critical
        return MeshTransport(
            identity: DevelopmentIdentity.identity(name: "test-probe", roles: ["operator"]),
            router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    @Test func twoNodesConnectThroughASeedAndStopGracefullyOnSIGTERM() async throws {
        let (a, addressA) = try await startNode("node-a")
        defer { a.stop() }
        let (b, addressB) = try await startNode("node-b", seeds: [addressA.description])
        defer { b.stop() }
        let probe = probe()
        var peersOfA: [String] = []
        for _ in 0..<100 {
            let info = try await probe.call(AdminService.info, RawMessage([]), at: addressA)
            peersOfA = info.connections.map(\.peer)
            if peersOfA.contains("node-b") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(peersOfA.contains("node-b"), "node-a's connections: \(peersOfA)")
        // One connection per pair, whichever node dialled it (if both did, the tie-break closes one of them).
        var infoB = try await probe.call(AdminService.info, RawMessage([]), at: addressB)
        for _ in 0..<50 where infoB.connections.filter({ $0.peer == "node-a" }).count != 1 {
            try await Task.sleep(for: .milliseconds(100))
            infoB = try await probe.call(AdminService.info, RawMessage([]), at: addressB)
        }
        #expect(infoB.name == "node-b")
        #expect(infoB.connections.filter { $0.peer == "node-a" }.count == 1, "\(infoB.connections)")
        await probe.shutdown()

        b.signal(SIGTERM)
        a.signal(SIGTERM)
        #expect(await b.waitForExit(timeout: 15) == 0, "node-b stderr:\n\(b.stderr)")
        #expect(await a.waitForExit(timeout: 15) == 0, "node-a stderr:\n\(a.stderr)")
        #expect(a.stderr.contains("node stopped"))
    }

    /// Runs a `meshnode` subcommand to completion and returns its stdout lines.
    func meshnode(_ args: [String]) async throws -> [String] {
        let p = try NodeProcess(
            product: "meshnode", arguments: args, stderrPath: "\(dir)/cli-\(UInt32.random(in: 0...UInt32.max)).log")
        let status = await p.waitForExit(timeout: 30)
        #expect(status == 0, "meshnode \(args) failed: \(p.stderr)")
        try await Task.sleep(for: .milliseconds(50))  // let the stdout reader drain
        return p.outputLines
    }

    @Test func nodesWithIssuedCertificatesTalkAndAnotherClustersNodeIsRefused() async throws {
        let keys = "\(dir)/keys"
        let other = "\(dir)/other-keys"
        _ = try await meshnode(["ca", "create", "--cluster", "prod", "--out", keys])
        _ = try await meshnode([
            "cert", "issue", "--ca", "\(keys)/ca.key", "--name", "node-a", "--roles", "inventory", "--out", keys,
        ])
        _ = try await meshnode(["cert", "issue", "--ca", "\(keys)/ca.key", "--name", "node-b", "--out", keys])
        _ = try await meshnode(["ca", "create", "--cluster", "prod", "--out", other])
        _ = try await meshnode(["cert", "issue", "--ca", "\(other)/ca.key", "--name", "node-x", "--out", other])
        let shown = try await meshnode(["cert", "show", "\(keys)/node-a.cert", "--trust", "\(keys)/cluster.trust"])
        #expect(shown.contains("roles:       inventory"))
        #expect(shown.contains { $0.hasPrefix("verified: signed by the CA of cluster 'prod'") })

        let (a, addressA) = try await startNode("node-a", keys: keys)
        defer { a.stop() }
        let (b, _) = try await startNode("node-b", seeds: [addressA.description], keys: keys)
        defer { b.stop() }
        // Same cluster name, different CA: refused on both ends, with the reason logged.
        let (x, _) = try await startNode("node-x", seeds: [addressA.description], keys: other)
        defer { x.stop() }
        var log = ""
        for _ in 0..<100 {
            log = a.stderr
            if log.contains("peer connected") && log.contains("mesh.peer=node-b")
                && log.contains("connection closed: handshakeFailed")
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(log.contains("peer connected") && log.contains("mesh.peer=node-b"), "node-a log:\n\(log)")
        #expect(log.contains("connection closed: handshakeFailed"), "node-a log:\n\(log)")
        #expect(!log.contains("mesh.peer=node-x"))
        for p in [x, b, a] { p.signal(SIGTERM) }
        for p in [x, b, a] { #expect(await p.waitForExit(timeout: 15) == 0) }
    }
}
