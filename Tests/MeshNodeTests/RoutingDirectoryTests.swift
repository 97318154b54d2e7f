import MeshCore
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import MeshWire
import NIOPosix
import Synchronization
import Testing

/// A directory a test controls (membership's stand-in).
final class FixedDirectory: PeerDirectory {
    private let members = Mutex<[String: [PeerEndpoint]]>([:])
    func set(_ service: String, _ endpoints: [PeerEndpoint]) { members.withLock { $0[service] = endpoints } }
    func endpoints(hosting service: String) -> [PeerEndpoint] { members.withLock { $0[service] ?? [] } }
    func address(of name: String) -> HostPort? {
        members.withLock { $0.values.flatMap { $0 }.first { $0.name == name }?.address }
    }
}

@Suite("routing through the membership directory")
struct RoutingDirectoryTests {
    @Test func callsGoToMembersTheDirectoryKnowsAndStopWhenTheyLeave() async throws {
        var router = ServiceRouter()
        TestEchoService.register(on: &router)
        let server = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "echo-1", roles: []), router: router,
            group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
        let address = try await server.listen(on: HostPort(host: "127.0.0.1", port: 0))
        let caller = callerTransport("caller")
        let peers = try PeerRouter(transport: caller, routes: ServiceRoutes(), logger: quietLogger)
        let options = CallOptions(timeout: .seconds(2))

        // No static routes and no directory: nowhere to send the call.
        let none = await #expect(throws: RPCError.self) {
            try await peers.call(TestEchoService.echo, RawMessage([1]), options: options)
        }
        #expect(none?.code == .unavailable)

        let directory = FixedDirectory()
        peers.use(directory: directory)
        directory.set("test", [PeerEndpoint(name: "echo-1", address: address)])
        let reply = try await peers.routedCall(TestEchoService.echo, RawMessage([2]), options: options)
        #expect(reply.peer == "echo-1")
        #expect(reply.response.bytes == [2])
        // Owner-keyed calls find the owner's address in the directory too.
        #expect(
            try await peers.call(TestEchoService.echo, RawMessage([3]), owner: "echo-1", options: options).bytes == [3])
        #expect(peers.statuses().map(\.peer).contains("echo-1"))

        // The member leaves the directory: the service has no candidates again.
        directory.set("test", [])
        let gone = await #expect(throws: RPCError.self) {
            try await peers.call(TestEchoService.echo, RawMessage([4]), options: options)
        }
        #expect(gone?.code == .unavailable)
        await caller.shutdown()
        await server.shutdown()
    }
}
