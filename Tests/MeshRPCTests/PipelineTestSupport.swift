import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshTestKit
import MeshTransport
import MeshWire
import NIOPosix
import Synchronization

/// Builds a server call as the transport would.
func serverCall(
    _ method: String = "inventory/Reserve",
    kind: MethodKind = .query,
    peer: String = "client-1",
    roles: [String] = [],
    metadata: [String: String] = [:],
    trace: TraceContext? = nil,
    deadline: MeshInstant? = nil,
    payload: [UInt8] = [1, 2, 3]
) -> ServerCall {
    ServerCall(
        context: ServerContext(
            peerName: peer, peerRoles: roles, method: method, metadata: metadata, trace: trace, deadline: deadline),
        kind: kind,
        payload: payload[...]
    )
}

/// An async handler that records each context it sees and echoes the payload.
func recordingHandler(_ seen: Recorder<ServerContext>, reply: [UInt8]? = nil) -> ErasedHandler {
    .async { bytes, ctx in
        seen.append(ctx)
        return reply ?? Array(bytes)
    }
}

/// A client terminal that records each call it is asked to send and answers from `answer`.
func recordingTerminal(
    _ seen: Recorder<ClientCall>,
    answer: @escaping @Sendable (Int) -> RPCStatus = { _ in .ok }
) -> ClientTerminal {
    { call async throws(RPCError) -> ResponseHead in
        let n = seen.append(call)
        let status = answer(n)
        guard status.code == .ok else { throw RPCError(status: status) }
        return ResponseHead(status: .ok, payload: call.payload)
    }
}

let quietLogger: Logger = {
    var l = Logger(label: "mesh.rpc.test")
    l.logLevel = .critical
    return l
}()

/// One event loop group for a test, shut down at the end.
func withEventLoopGroup<T>(threads: Int = 2, _ body: (MultiThreadedEventLoopGroup) async throws -> T) async throws -> T
{
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    do {
        let r = try await body(group)
        try await group.shutdownGracefully()
        return r
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
}

/// Two one-thread event loop groups (a server's and a client's), shut down at the end.
func withEventLoopGroups<T>(
    _ body: (MultiThreadedEventLoopGroup, MultiThreadedEventLoopGroup) async throws -> T
) async throws -> T {
    try await withEventLoopGroup(threads: 1) { server in
        try await withEventLoopGroup(threads: 1) { client in try await body(server, client) }
    }
}

/// A server transport serving `router` on loopback and a client transport (`name`, with `roles` and
/// `clientPipeline`) in one cluster; both are shut down after `body`, which gets the client and the server's address.
func withServerAndClient<T>(
    router: ServiceRouter, client name: String = "client", roles: [String] = [],
    clientPipeline: ClientPipeline = ClientPipeline(), _ body: (MeshTransport, HostPort) async throws -> T
) async throws -> T {
    try await withEventLoopGroup { group in
        let cluster = RoleCluster()
        let server = MeshTransport(
            identity: cluster.identity("server"), router: router, group: group, logger: quietLogger)
        let client = MeshTransport(
            identity: cluster.identity(name, roles: roles), router: ServiceRouter(), clientPipeline: clientPipeline,
            group: group, logger: quietLogger)
        do {
            let result = try await body(client, try await server.listen(on: loopback()))
            await client.shutdown()
            await server.shutdown()
            return result
        } catch {
            await client.shutdown()
            await server.shutdown()
            throw error
        }
    }
}

/// A cluster CA that issues development identities with roles.
struct RoleCluster {
    let ca = ClusterCA(clusterName: "rpc-test", keyPair: .generate())
    func identity(_ name: String, roles: [String] = []) -> NodeIdentity {
        NodeIdentity.development(name: name, roles: roles, ca: ca)
    }
}

func loopback() -> HostPort { HostPort(host: "127.0.0.1", port: 0) }
