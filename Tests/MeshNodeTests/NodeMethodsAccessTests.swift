import Logging
import MeshCore
import MeshCrypto
import MeshNode
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix
import Testing

/// proto-spec/node-methods.md over real sockets: the methods a node serves, and who may call them. `mesh.admin/Ping`
/// answers any member of the cluster; the other admin methods answer only the `operator` role and refuse anyone
/// else with `permissionDenied`; `test/*` exists only with `--test-echo`.
@Suite("Methods every node serves, and their access rules")
struct NodeMethodsAccessTests {
    /// Runs a node in this process for `body`, then stops it.
    static func withNode(testEcho: Bool = false, _ body: (MeshNodeRuntime, HostPort) async throws -> Void)
        async throws
    {
        var logger = Logger(label: "test.node-methods")
        logger.logLevel = .critical
        let node = try MeshNodeRuntime(
            configuration: NodeConfiguration(
                name: "node-a", listen: HostPort(host: "127.0.0.1", port: 0), dataDirectory: "/tmp/unused-node-a",
                testEcho: testEcho),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            let address = await node.boundAddress()
            do {
                try await body(node, address)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    /// A caller in the node's (development) cluster holding `roles`.
    static func caller(_ name: String, roles: [String]) -> MeshTransport {
        var logger = Logger(label: "test.caller")
        logger.logLevel = .critical
        return MeshTransport(
            identity: DevelopmentIdentity.identity(name: name, roles: roles), router: ServiceRouter(),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    @Test func onlyAnOperatorMayReadTheNodesStateButAnyMemberMayPing() async throws {
        try await Self.withNode { _, address in
            let peer = Self.caller("peer-x", roles: ["inventory"])
            let connection = try await peer.connection(to: address)
            #expect(try await connection.call(AdminService.ping, RawMessage([1, 2])).bytes == [1, 2])
            for path in ["mesh.admin/Info", "mesh.admin/Breakers", "mesh.admin/Members"] {
                let method = MethodDescriptor<RawMessage, RawMessage>(
                    service: "mesh.admin", method: String(path.dropFirst("mesh.admin/".count)))
                let error = await #expect(throws: RPCError.self) { try await connection.call(method, RawMessage([])) }
                #expect(error?.code == .permissionDenied)
                #expect(
                    error?.message == "\(path) requires one of the roles [\"operator\"]; peer-x has [\"inventory\"]")
            }
            await peer.shutdown()

            let operatorCaller = Self.caller("probe", roles: [AdminService.operatorRole])
            let info = try await operatorCaller.call(AdminService.info, RawMessage([]), at: address)
            #expect(info.name == "node-a")
            // What a node serves without application services or --test-echo: admin and SWIM, nothing else.
            #expect(info.services == ["mesh.admin", "mesh.swim"])
            #expect(try await operatorCaller.call(AdminService.members, RawMessage([]), at: address).node == "node-a")
            #expect(try await operatorCaller.call(AdminService.breakers, RawMessage([]), at: address).node == "node-a")
            await operatorCaller.shutdown()
        }
    }

    @Test func theTestEchoServiceIsServedOnlyWithTheFlag() async throws {
        try await Self.withNode { _, address in
            let peer = Self.caller("peer-x", roles: [])
            let error = await #expect(throws: RPCError.self) {
                try await peer.call(TestEchoService.echo, RawMessage([7]), at: address)
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message == "no handler for test/Echo")
            await peer.shutdown()
        }
        try await Self.withNode(testEcho: true) { node, address in
            #expect(node.info().services == ["mesh.admin", "mesh.swim", "test"])
            let peer = Self.caller("peer-x", roles: [])
            #expect(try await peer.call(TestEchoService.echo, RawMessage([7]), at: address).bytes == [7])
            let previous = try await peer.call(TestEchoService.setDelay, EchoDelay(.milliseconds(1)), at: address)
            #expect(previous == EchoDelay(.zero))
            #expect(
                try await peer.call(TestEchoService.setDelay, EchoDelay(.zero), at: address)
                    == EchoDelay(.milliseconds(1)))
            await peer.shutdown()
        }
    }
}
