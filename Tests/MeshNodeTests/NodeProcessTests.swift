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
struct NodeProcessTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-node-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func startNode(_ name: String, seeds: [String] = [], host: String = "127.0.0.1") async throws -> (NodeProcess, HostPort) {
        var args = ["run", "--name", name, "--listen", "\(host):0", "--data-dir", "\(dir)/\(name)", "--log-level", "info"]
        for s in seeds { args += ["--seed", s] }
        let p = try NodeProcess(product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name).log")
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
                                   "\(name) did not report its address; stderr:\n\(p.stderr)")
        return (p, address)
    }

    func probe() -> MeshTransport {
        var logger = Logger(label: "test.probe")
        logger.logLevel = .critical
        return MeshTransport(identity: DevelopmentIdentity.identity(name: "test-probe", roles: ["operator"]),
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
        let infoB = try await probe.call(AdminService.info, RawMessage([]), at: addressB)
        #expect(infoB.name == "node-b")
        #expect(infoB.connections.contains { $0.peer == "node-a" && !$0.inbound })
        await probe.shutdown()

        b.signal(SIGTERM)
        a.signal(SIGTERM)
        #expect(await b.waitForExit(timeout: 15) == 0, "node-b stderr:\n\(b.stderr)")
        #expect(await a.waitForExit(timeout: 15) == 0, "node-a stderr:\n\(a.stderr)")
        #expect(a.stderr.contains("node stopped"))
    }
}
