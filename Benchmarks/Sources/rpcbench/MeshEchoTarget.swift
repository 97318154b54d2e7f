import Logging
import MeshNode
import MeshRPC
import MeshTransport
import NIOPosix
import RPCBenchKit

/// Mesh over its signed, sealed binary protocol. The server is `rpcbench serve-mesh` in a child process
/// (development CA, an inline echo handler); each cell opens one authenticated connection.
/// `mesh` runs the caller tasks on the global executor, like every other async client here;
/// `mesh-loop` runs them on the connection's event loop (`MeshConnection.taskExecutor`), the
/// placement Mesh recommends for callers that make many calls on one connection.
actor MeshEchoTarget: EchoTarget {
    /// How the cell's callers drive the connection.
    enum Callers: Sendable {
        /// Swift tasks on the global executor (`mesh`).
        case tasks
        /// Swift tasks on the connection's event loop (`mesh-loop`).
        case tasksOnEventLoop
        /// No tasks: futures on the connection's event loop (`mesh-future`, `MeshConnection.makeCall`).
        case futuresOnEventLoop
    }

    nonisolated let name: String
    nonisolated let callers: Callers
    private var server: ServerProcess?
    var serverPID: Int32? { server?.pid }

    init(callers: Callers) {
        self.callers = callers
        switch callers {
        case .tasks: name = "mesh"
        case .tasksOnEventLoop: name = "mesh-loop"
        case .futuresOnEventLoop: name = "mesh-future"
        }
    }

    static let echo = MethodDescriptor<RawMessage, RawMessage>(service: "bench", method: "Echo")

    static var quietLogger: Logger {
        var logger = Logger(label: "rpcbench.mesh")
        logger.logLevel = .critical
        return logger
    }

    func start() async throws {
        server = try ServerProcess.launch(subcommand: "serve-mesh")
    }

    func makeClient(concurrency: Int) async throws -> any EchoClient {
        guard let port = server?.port else { throw BenchError(.serverStartFailed, "mesh server is not running") }
        let transport = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "bench-client", roles: []),
            router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: Self.quietLogger)
        let connection = try await transport.connect(to: HostPort(host: "127.0.0.1", port: port))
        switch callers {
        case .tasks: return MeshEchoClient(transport: transport, connection: connection, onLoop: false)
        case .tasksOnEventLoop: return MeshEchoClient(transport: transport, connection: connection, onLoop: true)
        case .futuresOnEventLoop: return MeshEventLoopClient(transport: transport, connection: connection)
        }
    }

    func stop() async {
        server?.terminate()
        server = nil
    }

    /// Child-process mode: a Mesh transport serving `bench/Echo` inline on 127.0.0.1:`port`.
    static func serve(port: Int) async throws {
        var router = ServiceRouter()
        router.registerInline(echo) { request, _ in request }
        let transport = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "bench-server", roles: []),
            router: router, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
        let bound = try await transport.listen(on: HostPort(host: "127.0.0.1", port: port))
        announceListening(port: bound.port)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

struct MeshEchoClient: AsyncEchoClient {
    let transport: MeshTransport
    let connection: MeshConnection
    let onLoop: Bool

    var callerExecutor: (any TaskExecutor)? { onLoop ? connection.taskExecutor : nil }

    func echo(_ payload: [UInt8]) async throws -> [UInt8] {
        try await connection.call(MeshEchoTarget.echo, RawMessage(payload), options: CallOptions(timeout: .seconds(10)))
            .bytes
    }

    func close() async {
        await connection.close(grace: .seconds(1))
        await transport.shutdown()
    }
}
