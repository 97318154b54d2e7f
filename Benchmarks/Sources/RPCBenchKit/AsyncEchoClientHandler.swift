import NIOCore

/// One call handed to `AsyncEchoClientHandler` through `Channel.writeAndFlush`.
struct OutboundEcho: Sendable {
    var payload: ByteBuffer
    var promise: EventLoopPromise<ByteBuffer>
}

/// Client handler for callers outside the event loop: assigns each call the next request id, keeps its promise
/// until the reply with that id arrives. Invariant: every promise handed in is completed exactly once (by its
/// reply, or by failure when the connection goes away).
final class AsyncEchoClientHandler: ChannelDuplexHandler {
    typealias InboundIn = EchoFrame.Message
    typealias OutboundIn = OutboundEcho
    typealias OutboundOut = ByteBuffer

    private var nextRequestID: UInt32 = 0
    private var pending: [UInt32: EventLoopPromise<ByteBuffer>] = [:]
    private var isActive = false

    func handlerAdded(context: ChannelHandlerContext) { isActive = context.channel.isActive }

    func channelActive(context: ChannelHandlerContext) {
        isActive = true
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        guard isActive else {
            let error = BenchError(.connectionClosed, "call issued on a closed connection")
            call.promise.fail(error)
            promise?.fail(error)
            return
        }
        let requestID = nextRequestID
        nextRequestID &+= 1
        pending[requestID] = call.promise
        var out = context.channel.allocator.buffer(capacity: EchoFrame.headerSize + call.payload.readableBytes)
        EchoFrame.write(requestID: requestID, payload: call.payload, into: &out)
        context.write(wrapOutboundOut(out), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard let promise = pending.removeValue(forKey: message.requestID) else {
            failAll(BenchError(.protocolViolation, "reply for unknown request id \(message.requestID)"))
            context.close(promise: nil)
            return
        }
        promise.succeed(message.payload)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        failAll(BenchError(.connectionClosed, "connection closed with \(pending.count) calls in flight"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(BenchError(.connectionClosed, "connection error", cause: error))
        context.close(promise: nil)
    }

    private func failAll(_ error: BenchError) {
        let promises = pending.values
        pending.removeAll()
        for promise in promises { promise.fail(error) }
    }
}
