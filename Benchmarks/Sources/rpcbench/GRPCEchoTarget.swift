import GRPCCore
import GRPCNIOTransportHTTP2Posix
import RPCBenchKit

/// grpc-swift-2 over its HTTP/2 posix transport, plaintext, defaults otherwise. The server is `rpcbench serve-grpc`
/// in a child process; each cell opens one `GRPCClient` (one HTTP/2 connection) and runs `concurrency` tasks.
actor GRPCEchoTarget: EchoTarget {
    nonisolated let name = "grpc"
    private var server: ServerProcess?
    var serverPID: Int32? { server?.pid }

    func start() async throws {
        server = try ServerProcess.launch(subcommand: "serve-grpc")
    }

    func makeClient(concurrency: Int) async throws -> any EchoClient {
        guard let port = server?.port else { throw BenchError(.serverStartFailed, "grpc server is not running") }
        return try GRPCEchoClient(port: port)
    }

    func stop() async {
        server?.terminate()
        server = nil
    }

    /// Child-process mode: serves `EchoService` on 127.0.0.1:`port` and prints `LISTENING <port>`.
    static func serve(port: Int) async throws {
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
            services: [EchoService()]
        )
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            guard let bound = try await server.listeningAddress?.ipv4 else {
                throw BenchError(.serverStartFailed, "grpc server has no IPv4 listening address")
            }
            announceListening(port: bound.port)
        }
    }
}

/// One gRPC client connection; `runConnections()` runs in its own task until `close()`.
struct GRPCEchoClient: AsyncEchoClient {
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, any Error>

    init(port: Int) throws {
        let client = GRPCClient(
            transport: try .http2NIOPosix(
                target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        )
        self.client = client
        self.connections = Task { try await client.runConnections() }
    }

    func echo(_ payload: [UInt8]) async throws -> [UInt8] {
        try await client.unary(
            request: ClientRequest(message: payload),
            descriptor: EchoService.get,
            serializer: RawSerializer(),
            deserializer: RawDeserializer(),
            options: .defaults
        ) { try $0.message }
    }

    func close() async {
        client.beginGracefulShutdown()
        _ = await connections.result
    }
}
