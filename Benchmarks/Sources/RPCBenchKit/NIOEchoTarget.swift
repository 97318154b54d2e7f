import NIOCore
import NIOPosix

/// Bare SwiftNIO length-prefixed echo, no crypto. The server is `rpcbench serve-nio` in a child process.
/// `.inLoop` ("nio") is the practical ceiling; `.async` ("nio-async") is the same wire driven by Swift tasks.
public actor NIOEchoTarget: EchoTarget {
    public enum ClientKind: Sendable {
        case inLoop
        case async
    }

    public nonisolated let name: String
    private let kind: ClientKind
    private let group: any EventLoopGroup
    private var server: ServerProcess?
    public var serverPID: Int32? { server?.pid }

    public init(kind: ClientKind, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.kind = kind
        self.group = group
        self.name = kind == .inLoop ? "nio" : "nio-async"
    }

    public func start() async throws {
        server = try ServerProcess.launch(subcommand: "serve-nio")
    }

    public func makeClient(concurrency: Int) async throws -> any EchoClient {
        guard let port = server?.port else { throw BenchError(.serverStartFailed, "\(name) server is not running") }
        switch kind {
        case .inLoop: return try await NIOInLoopClient.connect(port: port, group: group)
        case .async: return try await NIOAsyncClient.connect(port: port, group: group)
        }
    }

    public func stop() async {
        server?.terminate()
        server = nil
    }
}
