import NIOCore
import NIOPosix
import Synchronization

/// A TCP forwarder on a loopback port that a test can take down and bring back up on the same port: a store that
/// is "down" (connections refused, open ones reset) and then "up" again, with the real server behind it.
final class LoopbackProxy: Sendable {
    let port: Int
    private let target: SocketAddress
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let state = Mutex<(server: (any Channel)?, children: [ObjectIdentifier: any Channel])>((nil, [:]))

    init(targetPort: Int) async throws {
        target = try SocketAddress(ipAddress: "127.0.0.1", port: targetPort)
        let server = try await Self.bind(port: 0, self_: nil, group: group)
        port = server.localAddress!.port!
        try await server.close()
    }

    func up() async throws {
        let server = try await Self.bind(port: port, self_: self, group: group)
        state.withLock { $0.server = server }
    }

    func down() async throws {
        let (server, children) = state.withLock { s in
            defer { s = (nil, [:]) }
            return (s.server, Array(s.children.values))
        }
        try? await server?.close()
        for child in children { try? await child.close() }
    }

    func shutdown() async throws {
        try await down()
        try await group.shutdownGracefully()
    }

    private static func bind(port: Int, self_: LoopbackProxy?, group: EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                guard let proxy = self_ else { return inbound.close() }
                return proxy.connect(inbound)
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    private func connect(_ inbound: any Channel) -> EventLoopFuture<Void> {
        let id = ObjectIdentifier(inbound)
        state.withLock { $0.children[id] = inbound }
        inbound.closeFuture.whenComplete { [weak self] _ in self?.state.withLock { _ = $0.children.removeValue(forKey: id) } }
        return ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in outbound.pipeline.addHandler(Glue(partner: inbound)) }
            .connect(to: target)
            .flatMap { outbound in
                outbound.closeFuture.whenComplete { _ in inbound.close(promise: nil) }
                return inbound.pipeline.addHandler(Glue(partner: outbound))
            }
    }
}

/// Writes everything it reads to its partner channel and closes the partner when its own channel goes.
private final class Glue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let partner: any Channel
    init(partner: any Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
