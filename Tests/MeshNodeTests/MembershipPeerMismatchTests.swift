import Logging
import MeshCore
import MeshMembership
import MeshNode
import MeshTestKit
import MeshTransport
import Testing

/// A member's address can be taken over by another node (a pod replaced under a new name, a stale entry).
/// Membership sends name the member they are meant for, so the handshake refuses the wrong node instead
/// of letting it answer probes for someone else.
@Suite("membership peer mismatch")
struct MembershipPeerMismatchTests {
    @Test func aProbeOfAMemberWhoseAddressAnotherNodeAnswersIsRefusedAndLogged() async throws {
        let records = Recorder<CapturingLogHandler.Record>()
        var logger = Logger(label: "test.membership") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .warning
        var quiet = Logger(label: "test.membership.other")
        quiet.logLevel = .critical
        func config(_ name: String) -> NodeConfiguration {
            var c = NodeConfiguration(
                name: name, listen: HostPort(host: "127.0.0.1", port: 0), seeds: [],
                dataDirectory: "/tmp/unused-\(name)")
            c.membership.swim = MembershipOptions.scaled(probeIntervalMilliseconds: 100, gossipIntervalMilliseconds: 50)
            return c
        }
        let a = try MeshNodeRuntime(configuration: config("node-a"), logger: logger)
        let c = try MeshNodeRuntime(configuration: config("node-c"), logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.run() }
            group.addTask { try await c.run() }
            let addressC = "\(await c.boundAddress())"
            _ = await a.boundAddress()
            // Membership starts after the listener; a message before that is dropped.
            for _ in 0..<200 where a.membership.report().node.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            // A third party tells node-a that node-b lives at node-c's address.
            let rumour = MemberUpdate.alive(MemberMetadata(name: "node-b", rpcAddress: addressC), incarnation: 1)
            a.membership.receive(.gossip([rumour]), fromPeer: "node-z", senderAddress: "127.0.0.1:9")

            var refusal: CapturingLogHandler.Record?
            for _ in 0..<100 where refusal == nil {
                try await Task.sleep(for: .milliseconds(50))
                refusal = records.all.first { $0.message.contains("another node answers at the member's address") }
            }
            group.cancelAll()
            let record = try #require(
                refusal,
                "node-a never reported the wrong node at node-b's address; warnings: \(records.all.map(\.message))")
            #expect(record.level == .warning)
            #expect(record.metadata["mesh.member"] == "node-b")
            #expect(record.metadata["mesh.address"] == addressC)
            #expect(record.metadata["error"]?.contains("node-c") == true)
            // node-c never became node-b in node-a's view, and node-a never learned of node-c.
            #expect(!a.membership.report().members.contains { $0.name == "node-c" })
        }
    }
}
