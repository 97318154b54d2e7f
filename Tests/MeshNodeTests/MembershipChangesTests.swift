import Logging
import MeshCore
import MeshMembership
import MeshNode
import MeshTransport
import Testing

@Suite("membership change stream")
struct MembershipChangesTests {
    @Test func aJoiningNodeIsStreamedToSubscribersOfTheSeed() async throws {
        var logger = Logger(label: "test.membership")
        logger.logLevel = .critical
        func config(_ name: String, seeds: [HostPort]) -> NodeConfiguration {
            var c = NodeConfiguration(
                name: name, listen: HostPort(host: "127.0.0.1", port: 0), seeds: seeds,
                dataDirectory: "/tmp/unused-\(name)")
            c.membership.swim = MembershipOptions.scaled(probeIntervalMilliseconds: 200, gossipIntervalMilliseconds: 50)
            return c
        }
        let a = try MeshNodeRuntime(configuration: config("node-a", seeds: []), logger: logger)
        let changes = a.membership.changes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.run() }
            let addressA = await a.boundAddress()
            let b = try MeshNodeRuntime(configuration: config("node-b", seeds: [addressA]), logger: logger)
            group.addTask { try await b.run() }
            var joined: String?
            let watcher = Task { () -> String? in
                for await event in changes {
                    if case .joined(let m) = event { return m.name }
                }
                return nil
            }
            let timeout = Task {
                try await Task.sleep(for: .seconds(10))
                watcher.cancel()
            }
            joined = await watcher.value
            timeout.cancel()
            #expect(joined == "node-b")
            #expect(a.membership.members(hosting: "mesh.admin").isEmpty)  // admin services are not advertised
            #expect(a.membership.report().members.map(\.name) == ["node-a", "node-b"])
            group.cancelAll()
        }
    }
}
