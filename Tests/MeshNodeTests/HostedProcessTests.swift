import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import NIOPosix
import Testing

/// Real `meshnode` processes hosting `test-counter-0` and `test-ledger-0` (hidden test services), SIGKILLed in
/// the middle of the flow and restarted on their data directories: no acknowledged addition is lost, and every
/// addition is settled by the ledger exactly once and every refusal compensated exactly once (the test services
/// do not deduplicate themselves, so a duplicate would show in the totals).
@Suite("hosted services under SIGKILL", .serialized)
final class HostedProcessTests {
    static let fastFlags = ["--probe-interval-ms", "100", "--gossip-interval-ms", "50"]
    let dir: String
    let probe: MeshTransport
    var processes: [NodeProcess] = []

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-hosted-process-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Key files, so a restarted node keeps its key (a fresh development key per boot is refused while the
        // cluster still holds the old one as alive).
        let keys = dir + "/keys"
        try Self.meshnode(["ca", "create", "--cluster", "hosted-test", "--out", keys])
        for name in ["test-counter-0", "test-ledger-0", "test-client"] {
            try Self.meshnode(["cert", "issue", "--ca", keys + "/ca.key", "--name", name, "--days", "1", "--out", keys])
        }
        probe = MeshTransport(
            identity: try IdentityLoader.load(Self.identity(keys, "test-client"), name: "test-client", roles: []),
            router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: HostFixture.quiet)
    }

    static func identity(_ keys: String, _ name: String) -> IdentitySource {
        .files(trust: keys + "/cluster.trust", certificate: keys + "/\(name).cert", key: keys + "/\(name).key")
    }

    /// Runs a `meshnode` key command to completion.
    static func meshnode(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = NodeProcess.productsDirectory.appendingPathComponent("meshnode")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw HostError(.log, "meshnode \(arguments) failed") }
    }

    deinit {
        for p in processes { p.stop() }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func start(_ name: String, service: String, seed: HostPort?) async throws -> (NodeProcess, HostPort) {
        var args =
            ["run", "--name", name, "--listen", "127.0.0.1:0", "--data-dir", "\(dir)/\(name)", "--services", service]
            + ["--trust", dir + "/keys/cluster.trust", "--cert", "\(dir)/keys/\(name).cert"]
            + ["--key", "\(dir)/keys/\(name).key"] + Self.fastFlags
        if let seed { args += ["--seed", seed.description] }
        let p = try NodeProcess(
            product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name)-\(UInt32.random(in: 0...UInt32.max)).log")
        processes.append(p)
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
            "\(name) did not report its address; stderr:\n\(p.stderr)")
        return (p, address)
    }

    static let keys = ["k0", "k1", "k2", "k3"]

    /// Adds 10 to key `n mod 4` with request id `n`; true once acknowledged.
    func add(_ n: Int, at address: HostPort) async -> Bool {
        let key = Self.keys[n % 4]
        let reply = try? await probe.call(
            TestCounterDomain.add, addition(key, 10, "r\(n)"), at: address, options: CallOptions(timeout: .seconds(2)))
        return reply != nil
    }

    @Test func noAcknowledgedEventIsLostAndEachReactionHappensOnceAcrossKills() async throws {
        var (counter, counterAddress) = try await start("test-counter-0", service: "test-counter", seed: nil)
        var (ledger, ledgerAddress) = try await start("test-ledger-0", service: "test-ledger", seed: counterAddress)
        var acked: [Int] = []
        var attempted = 0
        func run(_ range: Range<Int>, killing victim: NodeProcess? = nil, after: Int = 0) async {
            for n in range {
                attempted += 1
                if n == range.lowerBound + after, let victim { victim.signal(SIGKILL) }
                if await add(n, at: counterAddress) { acked.append(n) }
            }
        }
        await run(0..<40)
        // The ledger dies while additions keep coming: they wait in the counter's log for it.
        await run(40..<80, killing: ledger, after: 3)
        _ = await ledger.waitForExit(timeout: 10)
        (ledger, ledgerAddress) = try await start("test-ledger-0", service: "test-ledger", seed: counterAddress)
        await run(80..<100)
        // The counter dies mid-flow (its in-flight reactions and relay batches with it), and comes back.
        counter.signal(SIGKILL)
        _ = await counter.waitForExit(timeout: 10)
        attempted += 1
        if await add(100, at: counterAddress) { acked.append(100) }  // refused: nobody listens
        (counter, counterAddress) = try await start("test-counter-0", service: "test-counter", seed: ledgerAddress)
        await run(101..<140)
        #expect(acked.count >= 130)

        var last: [String: ([Int64], [Int64])] = [:]
        let settled = await eventually(seconds: 40) {
            for key in Self.keys {
                let c = try? await probe.call(TestCounterDomain.get, TestKey(key), at: counterAddress)
                let l = try? await probe.call(TestLedgerDomain.get, TestKey(key), at: ledgerAddress)
                guard let c, let l else { return false }
                last[key] = (c.values, l.values)
                // Every addition settled once; every refusal compensated once; the value is what was booked.
                guard l.values[1] + l.values[2] == c.values[1], c.values[2] == l.values[2], c.values[0] == l.values[0]
                else { return false }
            }
            return true
        }
        #expect(
            settled,
            Comment(
                rawValue: "last totals (counter, ledger) by key: \(last)\ncounter:\n\(counter.stderr.suffix(3000))"
                    + "\nledger:\n\(ledger.stderr.suffix(3000))"))
        for (i, key) in Self.keys.enumerated() {
            let additions = last[key]?.0[1] ?? -1
            let ackedHere = acked.filter { $0 % 4 == i }.count
            // Acknowledged additions are all there; at most the unacknowledged attempts add to them.
            #expect(additions >= Int64(ackedHere))
            #expect(additions <= Int64((0..<attempted).filter { $0 % 4 == i }.count))
            #expect(last[key]?.1[0] == 100)  // 10 bookings of 10 per key, then refusals
        }
    }
}
