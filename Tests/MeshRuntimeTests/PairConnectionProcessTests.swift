import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import NIOPosix
import Testing

@testable import MeshTransport

/// One connection per pair of nodes, in the pure rule and in a real five-process cluster; the same cluster's
/// admin endpoint shows the gossip metrics and readiness.
@Suite("one connection per pair", .serialized)
final class PairConnectionProcessTests {
    let dir: String
    var nodes: [String: NodeProcess] = [:]
    var addresses: [String: HostPort] = [:]
    var adminAddresses: [String: HostPort] = [:]
    let probe: MeshTransport

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-pairs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "test.probe")
        logger.logLevel = .critical
        probe = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "test-probe", roles: ["operator"]), router: ServiceRouter(),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    deinit {
        for p in nodes.values { p.stop() }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test("both sides keep the same connection, whichever was registered first")
    func tieBreakAgrees() {
        // a dialled c1 (outbound at a, inbound at b); b dialled c2 (inbound at a, outbound at b).
        let c1AtA = PairTieBreak.End(peer: "b", dialledByPeer: false)
        let c2AtA = PairTieBreak.End(peer: "b", dialledByPeer: true)
        let c1AtB = PairTieBreak.End(peer: "a", dialledByPeer: true)
        let c2AtB = PairTieBreak.End(peer: "a", dialledByPeer: false)
        // "a" < "b": c1 (dialled by a) stays on both sides, in either order of arrival.
        #expect(PairTieBreak.decide(me: "a", existing: c1AtA, new: c2AtA) == .closeNew)
        #expect(PairTieBreak.decide(me: "a", existing: c2AtA, new: c1AtA) == .closeExisting)
        #expect(PairTieBreak.decide(me: "b", existing: c1AtB, new: c2AtB) == .closeNew)
        #expect(PairTieBreak.decide(me: "b", existing: c2AtB, new: c1AtB) == .closeExisting)
        // The same node dialled twice: only the dialler closes its newer one.
        #expect(PairTieBreak.decide(me: "a", existing: c1AtA, new: c1AtA) == .closeNew)
        #expect(PairTieBreak.decide(me: "b", existing: c1AtB, new: c1AtB) == .keepBoth)
        // Different peers are not a pair.
        #expect(
            PairTieBreak.decide(me: "a", existing: c1AtA, new: PairTieBreak.End(peer: "c", dialledByPeer: true))
                == .keepBoth)
    }

    func start(_ index: Int, seed: HostPort?, admin: Bool) async throws {
        let name = "node-\(index)"
        var args = [
            "run", "--name", name, "--listen", "127.0.0.\(index):0", "--data-dir", "\(dir)/\(name)",
            "--probe-interval-ms", "200", "--gossip-interval-ms", "100",
        ]
        if let seed { args += ["--seed", seed.description] }
        if admin { args += ["--admin-http", "127.0.0.1:0"] }
        let p = try NodeProcess(product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name).log")
        nodes[name] = p
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
            "\(name) did not report its address; stderr:\n\(p.stderr)")
        addresses[name] = address
        if admin {
            let adminLine = await p.waitForLine(prefix: "admin listening ", timeout: 20)
            let adminAddress = try #require(
                adminLine.flatMap { HostPort(String($0.dropFirst("admin listening ".count))) },
                "\(name) did not report its admin address; stderr:\n\(p.stderr)")
            adminAddresses[name] = adminAddress
        }
    }

    /// How many connections `name` holds to each other node (the test's own probe left out).
    func connectionCounts(of name: String) async -> [String: Int]? {
        guard let address = addresses[name] else { return nil }
        guard
            let info = try? await probe.call(
                AdminService.info, RawMessage([]), at: address, options: CallOptions(timeout: .seconds(1)))
        else { return nil }
        var counts: [String: Int] = [:]
        for c in info.connections where c.peer != "test-probe" { counts[c.peer, default: 0] += 1 }
        return counts
    }

    @Test("five nodes: every pair shares exactly one connection; /metrics and /readyz on a member")
    func fiveNodesOneConnectionEach() async throws {
        try await start(1, seed: nil, admin: true)
        for i in 2...5 { try await start(i, seed: addresses["node-1"]!, admin: false) }
        let names = (1...5).map { "node-\($0)" }

        func onePerPair() async -> [String: [String: Int]]? {
            var all: [String: [String: Int]] = [:]
            for name in names {
                guard let counts = await connectionCounts(of: name) else { return nil }
                all[name] = counts
            }
            let ok = names.allSatisfy { name in
                all[name] == Dictionary(uniqueKeysWithValues: names.filter { $0 != name }.map { ($0, 1) })
            }
            return ok ? all : nil
        }
        var converged: [String: [String: Int]]?
        let start = Date()
        while converged == nil && Date().timeIntervalSince(start) < 30 {
            converged = await onePerPair()
            if converged == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        var last: [String: [String: Int]] = [:]
        for name in names { last[name] = await connectionCounts(of: name) }
        #expect(converged != nil, "connections per pair never settled at one: \(last)")
        // Steady: still one per pair a second of gossip later (no redial, no duplicate).
        try await Task.sleep(for: .seconds(1))
        #expect(await onePerPair() != nil, "a pair gained a second connection")
        var total = 0
        for name in names { total += await connectionCounts(of: name)?.values.reduce(0, +) ?? 0 }
        print("five nodes: \(total / 2) connections for 10 pairs (each counted at both ends: \(total))")
        #expect(total == 20)

        let admin = try #require(adminAddresses["node-1"])
        let ready = try await HTTPGet.fetch("/readyz", from: admin)
        #expect(ready.status == 200, "node-1 not ready: \(ready.body)")
        let metrics = try await HTTPGet.fetch("/metrics", from: admin)
        #expect(metrics.status == 200)
        for family in [
            "mesh_swim_messages_sent_total", "mesh_swim_messages_received_total", "mesh_swim_probe_results_total",
            "mesh_members",
        ] {
            #expect(metrics.body.contains("# TYPE \(family) "), "/metrics lacks \(family)")
        }
        #expect(metrics.body.contains("mesh_members{status=\"alive\"} 4"))
    }
}
