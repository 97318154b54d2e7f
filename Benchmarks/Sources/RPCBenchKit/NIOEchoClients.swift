import NIOCore
import NIOPosix

/// Connects the bare-NIO clients: one TCP connection (TCP_NODELAY) to 127.0.0.1:`port`, framing decoder, and the
/// handler the client kind needs.
enum NIOEchoConnector {
    static func connect(
        port: Int,
        group: any EventLoopGroup,
        addHandler: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EchoFrameDecoder()))
                    try addHandler(channel.pipeline.syncOperations)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }
}

/// The ceiling: the closed loop runs inside the client's event loop (`ClosedLoopClientHandler`), so no call crosses
/// into Swift concurrency; only the finished cell does.
struct NIOInLoopClient: EchoClient {
    let channel: any Channel

    static func connect(port: Int, group: any EventLoopGroup) async throws -> NIOInLoopClient {
        let channel = try await NIOEchoConnector.connect(port: port, group: group) {
            try $0.addHandler(ClosedLoopClientHandler())
        }
        return NIOInLoopClient(channel: channel)
    }

    func runCell(_ plan: CellPlan) async throws -> LatencySamples {
        let promise = channel.eventLoop.makePromise(of: LatencySamples.self)
        let channel = self.channel
        channel.eventLoop.execute {
            do {
                let handler = try channel.pipeline.syncOperations.handler(type: ClosedLoopClientHandler.self)
                handler.start(plan, promise: promise)
            } catch {
                promise.fail(BenchError(.connectionClosed, "client handler is gone", cause: error))
            }
        }
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// The same wire and server, but each call is an async function awaited by a Swift task (`AsyncEchoClientHandler`),
/// one `writeAndFlush` per call: the cost an async RPC API adds on top of the ceiling.
struct NIOAsyncClient: AsyncEchoClient {
    let channel: any Channel

    static func connect(port: Int, group: any EventLoopGroup) async throws -> NIOAsyncClient {
        let channel = try await NIOEchoConnector.connect(port: port, group: group) {
            try $0.addHandler(AsyncEchoClientHandler())
        }
        return NIOAsyncClient(channel: channel)
    }

    func echo(_ payload: [UInt8]) async throws -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let call = OutboundEcho(payload: channel.allocator.buffer(bytes: payload), promise: promise)
        channel.writeAndFlush(call, promise: nil)
        let reply = try await promise.futureResult.get()
        return Array(reply.readableBytesView)
    }

    func close() async {
        try? await channel.close()
    }
}
