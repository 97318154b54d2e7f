import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import NIOPosix
import Testing

/// Issue 3's proof with real processes: five `meshnode`s on 127.0.0.1…5 form a cluster through gossip, see a
/// SIGKILLed member die, a SIGSTOPped one come back after SIGCONT, and a restarted one rejoin with a higher
/// incarnation. Views are read through `mesh.admin/Members`.
@Suite("gossip membership processes", .serialized)
final class MembershipProcessTests {
    /// Fast SWIM timers (hidden flags): 200 ms probes, so suspicion lasts 1–3 s.
    static let fastFlags = ["--probe-interval-ms", "200", "--gossip-interval-ms", "100"]

    let dir: String
    var nodes: [String: NodeProcess] = [:]
    var addresses: [String: HostPort] = [:]
    let probe: MeshTransport

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-membership-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
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

    func start(_ index: Int, seed: HostPort?) async throws {
        let name = "node-\(index)"
        var args =
            [
                "run", "--name", name, "--listen", "127.0.0.\(index):0", "--data-dir", "\(dir)/\(name)",
                "--log-level", "info",
            ] + Self.fastFlags
        if let seed { args += ["--seed", seed.description] }
        let p = try NodeProcess(
            product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name)-\(UInt32.random(in: 0...UInt32.max)).log")
        nodes[name] = p
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
            "\(name) did not report its address; stderr:\n\(p.stderr)")
        addresses[name] = address
    }

    /// `name`'s view of the cluster by member name, or nil if it does not answer within a second.
    func view(of name: String) async -> [String: MemberInfo]? {
        guard let address = addresses[name] else { return nil }
        let report = try? await probe.call(
            AdminService.members, RawMessage([]), at: address, options: CallOptions(timeout: .seconds(1)))
        return report.map { Dictionary(uniqueKeysWithValues: $0.members.map { ($0.name, $0) }) }
    }

    /// Polls until every observer sees `member` with `status`; returns the seconds it took, nil on timeout.
    func waitUntil(
        _ observers: [String], see members: [String], as status: String, within seconds: Double
    ) async -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            var all = true
            for o in observers {
                guard let v = await view(of: o), members.allSatisfy({ v[$0]?.status == status }) else {
                    all = false
                    break
                }
            }
            if all { return Date().timeIntervalSince(start) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// `observer`'s peer-wide breaker for `peer` (from `mesh.admin/Breakers`).
    func breaker(of peer: String, at observer: String) async throws -> PeerBreakerStatus? {
        let address = try #require(addresses[observer])
        let report = try await probe.call(
            AdminService.breakers, RawMessage([]), at: address, options: CallOptions(timeout: .seconds(2)))
        return report.peers.first { $0.peer == peer }
    }

    func describeViews(_ observers: [String]) async -> String {
        var out = ""
        for o in observers {
            let v = await view(of: o)
            out +=
                "\(o): "
                + (v.map {
                    $0.values.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.status)" }
                        .joined(separator: " ")
                } ?? "no answer") + "\n"
        }
        return out
    }

    @Test func fiveNodesConvergeDetectDeathRecoverFromAStopAndReadmitARestart() async throws {
        let all = (1...5).map { "node-\($0)" }
        try await start(1, seed: nil)
        let seed = try #require(addresses["node-1"])
        for i in 2...5 { try await start(i, seed: seed) }

        let converged = await waitUntil(all, see: all, as: "alive", within: 20)
        let convergedViews = converged == nil ? await describeViews(all) : ""
        #expect(converged != nil, "no convergence:\n\(convergedViews)")
        guard converged != nil else { return }
        let before = try #require(await view(of: "node-1")?["node-5"]?.incarnation)

        // SIGKILL node-5: every other member declares it dead.
        nodes["node-5"]?.signal(SIGKILL)
        _ = await nodes["node-5"]?.waitForExit(timeout: 5)
        let survivors = Array(all.prefix(4))
        let died = await waitUntil(survivors, see: ["node-5"], as: "dead", within: 20)
        let diedViews = died == nil ? await describeViews(survivors) : ""
        #expect(died != nil, "node-5 not dead everywhere:\n\(diedViews)")
        // The verdict reaches the node's router: node-5's peer breaker is forced open with the reason.
        let verdict = try await breaker(of: "node-5", at: "node-1")
        #expect(verdict?.state == "forcedOpen", "node-1 breaker for node-5: \(String(describing: verdict))")
        #expect(verdict?.reason.contains("dead in membership") == true)

        // SIGSTOP node-4 until the others declare it dead (past the suspicion timeout), then SIGCONT:
        // it refutes and is alive again everywhere.
        let watchers = Array(all.prefix(3))
        nodes["node-4"]?.signal(SIGSTOP)
        let stoppedDead = await waitUntil(watchers, see: ["node-4"], as: "dead", within: 20)
        nodes["node-4"]?.signal(SIGCONT)
        let stoppedDeadViews = stoppedDead == nil ? await describeViews(watchers) : ""
        #expect(stoppedDead != nil, "node-4 not dead while stopped:\n\(stoppedDeadViews)")
        let back = await waitUntil(survivors, see: survivors, as: "alive", within: 20)
        let backViews = back == nil ? await describeViews(survivors) : ""
        #expect(back != nil, "node-4 not alive again:\n\(backViews)")

        // Restart node-5 with the same name: it rejoins at a higher incarnation.
        try await start(5, seed: seed)
        let rejoined = await waitUntil(all, see: all, as: "alive", within: 20)
        let rejoinedViews = rejoined == nil ? await describeViews(all) : ""
        #expect(rejoined != nil, "node-5 did not rejoin:\n\(rejoinedViews)")
        let after = try #require(await view(of: "node-1")?["node-5"]?.incarnation)
        #expect(after > before)
        let reset = try await breaker(of: "node-5", at: "node-1")
        #expect(reset?.state == "closed", "node-1's breaker for node-5 after the rejoin: \(String(describing: reset))")

        // SIGTERM node-5: it announces its leave before draining, so the others see it left (not dead).
        nodes["node-5"]?.signal(SIGTERM)
        let left = await waitUntil(survivors, see: ["node-5"], as: "left", within: 20)
        let leftViews = left == nil ? await describeViews(survivors) : ""
        #expect(left != nil, "node-5 not left everywhere:\n\(leftViews)")
        print(
            "membership timings (s): converge \(converged ?? -1), kill→dead \(died ?? -1), "
                + "stop→dead \(stoppedDead ?? -1), cont→alive \(back ?? -1), restart→alive \(rejoined ?? -1), "
                + "term→left \(left ?? -1)")

        await probe.shutdown()
        for name in all { nodes[name]?.signal(SIGTERM) }
        for name in all {
            let p = try #require(nodes[name])
            #expect(await p.waitForExit(timeout: 15) == 0, "\(name) did not stop cleanly:\n\(p.stderr)")
        }
        #expect(nodes["node-1"]?.stderr.contains("member dead") == true)
    }
}
