import NIOCore

/// The bare-NIO ceiling's client: keeps `concurrency` calls in flight on one connection entirely inside the event
/// loop. Slot *i* uses request id *i*; each reply immediately re-sends on its slot (no flush), and one flush per
/// `channelReadComplete` pushes the whole batch. Invariant: at most one call per slot is in flight.
final class ClosedLoopClientHandler: ChannelInboundHandler {
    typealias InboundIn = EchoFrame.Message
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var promise: EventLoopPromise<LatencySamples>?
    private var payload = ByteBuffer()
    private var window = MeasurementWindow(opensAt: 0, closesAt: 0)
    private var sentAt: [UInt64] = []
    private var inFlight: [Bool] = []
    private var inFlightCount = 0
    private var samples = LatencySamples()

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(BenchError(.connectionClosed, "handler removed during a cell")))
        self.context = nil
    }

    /// Starts one cell. Must run on the channel's event loop; completes `promise` when the last slot drains.
    func start(_ plan: CellPlan, promise: EventLoopPromise<LatencySamples>) {
        guard let context, self.promise == nil else {
            promise.fail(BenchError(.connectionClosed, "client is closed or already running a cell"))
            return
        }
        self.promise = promise
        payload = context.channel.allocator.buffer(bytes: plan.makePayload())
        samples = LatencySamples()
        let now = MonotonicClock.nowNanos()
        window = plan.window(startingAt: now)
        sentAt = Array(repeating: now, count: plan.concurrency)
        inFlight = Array(repeating: false, count: plan.concurrency)
        inFlightCount = 0
        for slot in 0..<plan.concurrency { send(slot: slot, at: now, context: context) }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        let receivedAt = MonotonicClock.nowNanos()
        let slot = Int(message.requestID)
        guard promise != nil, slot < inFlight.count, inFlight[slot] else {
            finish(.failure(BenchError(.protocolViolation, "reply for request id \(slot), which is not in flight")))
            context.close(promise: nil)
            return
        }
        guard message.payload == payload else {
            finish(.failure(BenchError(.badEcho, "reply on slot \(slot) differs from the request")))
            context.close(promise: nil)
            return
        }
        inFlight[slot] = false
        inFlightCount -= 1
        if window.counts(sentAt: sentAt[slot], receivedAt: receivedAt) {
            samples.record(receivedAt - sentAt[slot])
        }
        if window.isOpen(at: receivedAt) {
            send(slot: slot, at: receivedAt, context: context)
        } else if inFlightCount == 0 {
            finish(.success(samples))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(BenchError(.connectionClosed, "connection closed with \(inFlightCount) calls in flight")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(BenchError(.connectionClosed, "connection error", cause: error)))
        context.close(promise: nil)
    }

    private func send(slot: Int, at now: UInt64, context: ChannelHandlerContext) {
        sentAt[slot] = now
        inFlight[slot] = true
        inFlightCount += 1
        var out = context.channel.allocator.buffer(capacity: EchoFrame.headerSize + payload.readableBytes)
        EchoFrame.write(requestID: UInt32(slot), payload: payload, into: &out)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    private func finish(_ result: Result<LatencySamples, BenchError>) {
        guard let promise else { return }
        self.promise = nil
        switch result {
        case .success(let samples): promise.succeed(samples)
        case .failure(let error): promise.fail(error)
        }
    }
}
