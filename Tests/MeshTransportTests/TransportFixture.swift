import Glibc
import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import NIOPosix
import Synchronization

/// Test services shared by the transport tests.
enum Echo {
    static let inline = MethodDescriptor<RawMessage, RawMessage>(service: "echo", method: "Inline")
    static let async = MethodDescriptor<RawMessage, RawMessage>(service: "echo", method: "Async")
    /// Sleeps for the number of milliseconds in the request's first two bytes, then echoes.
    static let slow = MethodDescriptor<RawMessage, RawMessage>(service: "echo", method: "Slow")
    static let fail = MethodDescriptor<RawMessage, RawMessage>(service: "echo", method: "Fail")

    static func router(started: Counter? = nil, cancelled: Counter? = nil) -> ServiceRouter {
        var r = ServiceRouter()
        r.registerInline(inline) { req, _ in req }
        r.register(async) { req, _ in req }
        r.register(slow) { req, _ in
            started?.increment()
            let ms = Int(req.bytes[0]) << 8 | Int(req.bytes[1])
            do {
                try await Task.sleep(for: .milliseconds(ms))
            } catch {
                cancelled?.increment()
                throw error
            }
            return req
        }
        r.register(fail) { _, ctx in
            throw RPCError(.failedPrecondition, "refused for \(ctx.peerName)")
        }
        return r
    }

    static func slowRequest(ms: Int) -> RawMessage { RawMessage([UInt8(ms >> 8), UInt8(ms & 0xFF)]) }
}

extension RawPeer {
    /// Calls `Echo.slow` for a minute on `stream` (no deadline) and waits until its handler has started.
    func startSlowCall(stream: UInt32, started: Counter) async throws {
        let slow = RequestHead(method: Echo.slow.path, payload: Echo.slowRequest(ms: 60_000).bytes)
        send(try seal(.request, body: slow.encoded(), stream: stream))
        for _ in 0..<200 where started.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
    }
}

/// A thread-safe counter for observing handlers.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// Collects connection events.
final class EventLog: Sendable {
    private let events = Mutex<[ConnectionEvent]>([])
    func record(_ e: ConnectionEvent) { events.withLock { $0.append(e) } }
    var all: [ConnectionEvent] { events.withLock { $0 } }
    var closeErrors: [ConnectionError] {
        all.compactMap { if case .closed(_, _, _, let e?) = $0 { return e } else { return nil } }
    }
}

/// A cluster CA and node identities for tests.
struct TestCluster {
    let ca: ClusterCA

    init(name: String = "test-cluster") {
        ca = ClusterCA(clusterName: name, keyPair: .generate())
    }

    func identity(_ name: String, roles: [String] = []) -> NodeIdentity {
        NodeIdentity.development(name: name, roles: roles, ca: ca)
    }
}

/// The set-up most transport tests share: a server transport serving `router` and listening on loopback, and a
/// client transport with no services, both in one test cluster.
func serverAndClient(
    group: any EventLoopGroup,
    router: ServiceRouter = Echo.router(),
    serverName: String = "server-1",
    clientName: String = "client-1",
    serverConfiguration: TransportConfiguration = .init(),
    clientConfiguration: TransportConfiguration = .init()
) async throws -> (server: MeshTransport, client: MeshTransport, address: HostPort) {
    let cluster = TestCluster()
    let server = MeshTransport(
        identity: cluster.identity(serverName), router: router, configuration: serverConfiguration, group: group,
        logger: testLogger)
    let client = MeshTransport(
        identity: cluster.identity(clientName), router: ServiceRouter(), configuration: clientConfiguration,
        group: group, logger: testLogger)
    return (server, client, try await server.listen(on: loopback()))
}

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

let testLogger: Logger = {
    var l = Logger(label: "mesh.test")
    l.logLevel = .critical
    return l
}()

extension HostPort: HostPortLike {}

func loopback(_ port: Int = 0) -> HostPort { HostPort(host: "127.0.0.1", port: port) }

/// The wall clock, for certificate validity checks in tests.
func wallNow() -> WallTime {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return WallTime(secondsSinceEpoch: Int64(ts.tv_sec))
}
