import Logging
import MeshCore
import MeshCrypto
import MeshRPC
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
    deadline: MeshInstant? = nil,
    payload: [UInt8] = [1, 2, 3]
) -> ServerCall {
    ServerCall(
        context: ServerContext(peerName: peer, peerRoles: roles, method: method, metadata: metadata, deadline: deadline),
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

/// A thread-safe list of observations.
final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    init() {}
    /// Appends and returns the number of items before this one.
    @discardableResult
    func append(_ item: T) -> Int { items.withLock { $0.append(item); return $0.count - 1 } }
    var all: [T] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// Captures log records (level, message, merged metadata) for assertions.
struct CapturingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let records: Recorder<Record>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(event.metadata ?? [:]) { $1 }
        records.append(Record(
            level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}

let quietLogger: Logger = {
    var l = Logger(label: "mesh.rpc.test")
    l.logLevel = .critical
    return l
}()

/// One event loop group for a test, shut down at the end.
func withEventLoopGroup<T>(_ body: (MultiThreadedEventLoopGroup) async throws -> T) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    do {
        let r = try await body(group)
        try await group.shutdownGracefully()
        return r
    } catch {
        try? await group.shutdownGracefully()
        throw error
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
