import NIOCore
import NIOPosix

/// The bare-NIO echo server: decodes frames, writes each back unchanged, flushes once per read batch.
public enum NIOEchoServer {
    /// Binds 127.0.0.1:`port` (0 = any free port) and returns the listening channel.
    public static func bind(port: Int, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EchoFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(EchoServerHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }

    /// Child-process mode: binds, reports the bound port through `announce`, then serves until the process is
    /// killed or the listening channel closes.
    public static func serve(port: Int, announce: (Int) -> Void) async throws {
        let channel = try await bind(port: port, group: MultiThreadedEventLoopGroup.singleton)
        guard let bound = channel.localAddress?.port else {
            throw BenchError(.serverStartFailed, "nio server has no local port")
        }
        announce(bound)
        try await channel.closeFuture.get()
    }
}

/// Echoes every decoded frame with the same request id; one flush per `channelReadComplete`.
final class EchoServerHandler: ChannelInboundHandler {
    typealias InboundIn = EchoFrame.Message
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: EchoFrame.headerSize + message.payload.readableBytes)
        EchoFrame.write(requestID: message.requestID, payload: message.payload, into: &out)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
