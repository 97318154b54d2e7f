import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTransport
import Testing

/// Three nodes on loopback (two `test-counter` instances, one `test-ledger`), real sockets, real logs, gossip
/// membership: each counter event reaches the ledger's owner through the relay, every refusal comes back and is
/// compensated by the counter instance that owns the key, exactly once.
@Suite("hosted services on a loopback cluster", .serialized)
struct HostedClusterTests {
    static func configuration(_ name: String, services: [String], dir: String, seeds: [HostPort]) -> NodeConfiguration {
        var c = NodeConfiguration(
            name: name, listen: HostPort(host: "127.0.0.1", port: 0), seeds: seeds, dataDirectory: dir + "/" + name)
        c.membership.swim = MembershipOptions.scaled(probeIntervalMilliseconds: 200, gossipIntervalMilliseconds: 50)
        c.services = services
        c.hosting = HostFixture.configuration()
        return c
    }

    @Test func aReactionAndItsCompensationHappenOncePerEventAcrossInstances() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let logger = HostFixture.quiet
        let ledger = try MeshNodeRuntime(
            configuration: Self.configuration("test-ledger-0", services: ["test-ledger"], dir: f.dir, seeds: []),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ledger.run() }
            let seed = await ledger.boundAddress()
            let counters = try (0..<2).map { i in
                try MeshNodeRuntime(
                    configuration: Self.configuration(
                        "test-counter-\(i)", services: ["test-counter:2"], dir: f.dir, seeds: [seed]),
                    logger: logger)
            }
            for c in counters { group.addTask { try await c.run() } }
            let all = [ledger] + counters
            #expect(await eventually { all.allSatisfy(\.hostedServicesReady) })
            #expect(
                await eventually {
                    all.allSatisfy { $0.hosting.owner(of: "c1", in: "test-counter")?.node == "test-counter-1" }
                })
            // 6 keys over both counter instances, 15 additions of 10 each: the ledger books 10 and refuses 5.
            let keys = (1...6).map { "c\($0)" }
            for n in 0..<15 {
                for key in keys {
                    let reply = try await ledger.callOwner(
                        TestCounterDomain.add, addition(key, 10, "\(key)-\(n)"), key: key,
                        options: CallOptions(timeout: .seconds(5)))
                    #expect(reply.key == key)
                }
            }
            let settled = await eventually(seconds: 20) {
                for key in keys {
                    let counter = try? await counters[0].callOwner(TestCounterDomain.get, TestKey(key), key: key)
                    let account = try? await counters[0].callOwner(TestLedgerDomain.get, TestKey(key), key: key)
                    guard counter?.values == [100, 15, 5, 0], account?.values == [100, 10, 5, 0] else { return false }
                }
                return true
            }
            #expect(settled)
            // Both counter instances own some of the keys, and each relays to the ledger.
            let owners = Set(keys.compactMap { ledger.hosting.owner(of: $0, in: "test-counter")?.instance })
            #expect(owners == ["test-counter-0", "test-counter-1"])
            #expect(
                counters.allSatisfy { $0.hostedServiceStatuses.first?.subscribers.contains("test-ledger-0") == true })
            #expect(ledger.hostedServiceStatuses.first?.subscribers == ["test-counter-0", "test-counter-1"])
            group.cancelAll()
        }
    }
}
