import MeshCore
import MeshCrypto
import MeshRPC
import MeshWire
import NIOCore
import Synchronization

/// Per-call options on the caller's side.
public struct CallOptions: Sendable {
    /// How long the caller waits. Sent on the wire so the server stops at the same moment. nil = no deadline.
    public var timeout: MeshDuration?
    /// Request metadata (idempotency key, application keys, …); the trace context travels in `trace`.
    public var metadata: [String: String]
    /// The W3C trace context sent in the request's binary trace field; nil = none.
    public var trace: TraceContext?
    /// While the peer's address is in reconnect backoff, wait for the next attempt (within the
    /// deadline) instead of failing fast with `unavailable`.
    public var waitForReady: Bool

    public init(
        timeout: MeshDuration? = .seconds(10), metadata: [String: String] = [:], trace: TraceContext? = nil,
        waitForReady: Bool = false
    ) {
        self.timeout = timeout
        self.metadata = metadata
        self.trace = trace
        self.waitForReady = waitForReady
    }

    public static let `default` = CallOptions()
}

/// An authenticated, multiplexed connection to one peer. All calls to that peer share it.
///
/// Sendable: its state lives in the channel handler, which is only touched on the channel's event
/// loop (every access below goes through `eventLoop.execute`); the rest is immutable or atomic.
public final class MeshConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<MeshConnectionHandler>
    let flags: ConnectionFlags
    /// The peer's certificate name and roles, verified by the handshake.
    public let peer: PeerInfo
    /// `host:port` of the other end.
    public let remoteAddress: String
    /// True if the peer dialled us.
    public let isInbound: Bool
    /// The AEAD sealing this connection's frames, as chosen in the handshake.
    public let cipher: FrameCipher
    /// Client middleware every typed `call` passes through (empty = straight to `rawCall`).
    let pipeline: ClientPipeline
    private let nextCallID = Atomic<UInt64>(0)

    init(
        channel: any Channel,
        handler: NIOLoopBound<MeshConnectionHandler>,
        flags: ConnectionFlags,
        peer: PeerInfo,
        remoteAddress: String,
        isInbound: Bool,
        cipher: FrameCipher,
        pipeline: ClientPipeline = ClientPipeline()
    ) {
        self.cipher = cipher
        self.pipeline = pipeline
        self.channel = channel
        self.taskExecutor = EventLoopTaskExecutor(loop: channel.eventLoop)
        self.flags = flags
        self.handler = handler
        self.peer = peer
        self.remoteAddress = remoteAddress
        self.isInbound = isInbound
    }

    /// An executor that runs tasks on this connection's event loop. Callers that make many calls on
    /// one connection can run there (`Task(executorPreference: connection.taskExecutor)`): their calls
    /// then start and complete without waking another thread.
    public let taskExecutor: EventLoopTaskExecutor

    /// True while new calls may use this connection: open, and neither side is going away.
    public var isAvailable: Bool { channel.isActive && flags.acceptsNewCalls }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Calls `method` with an encoded request and returns the peer's response head (status, metadata, payload).
    /// Transport failures come back as `RPCError` (`unavailable`, `deadlineExceeded`, `cancelled`, …);
    /// the peer's own failures come back as a non-ok status in the response.
    nonisolated(nonsending) public func rawCall(
        method: String,
        payload: [UInt8],
        options: CallOptions = .default,
        oneWay: Bool = false
    ) async throws(RPCError) -> ResponseHead {
        try await start(
            RequestHead(method: method, metadata: options.metadata, trace: options.trace, payload: payload),
            timeout: options.timeout, oneWay: oneWay
        ).get()
    }

    /// Sends one request and waits for its response.
    nonisolated(nonsending) private func start(_ head: RequestHead, timeout: MeshDuration?, oneWay: Bool)
        async -> Result<ResponseHead, RPCError>
    {
        let callID = nextCallID.add(1, ordering: .relaxed).newValue
        let deadline = timeout.map { NIODeadline.now() + .nanoseconds($0.nanoseconds) }
        let loop = channel.eventLoop
        let handler = self.handler
        return await withTaskCancellationHandler {
            // Unsafe (unchecked) continuation: `PendingCall.complete` resumes it exactly once.
            await withUnsafeContinuation { (continuation: PendingCall.Continuation) in
                let waiter = PendingCall.Waiter.continuation(continuation)
                if loop.inEventLoop {
                    handler.value.startCall(
                        PendingCall(callID: callID, head: head, deadline: deadline, oneWay: oneWay, waiter: waiter))
                } else {
                    loop.execute {
                        handler.value.startCall(
                            PendingCall(callID: callID, head: head, deadline: deadline, oneWay: oneWay, waiter: waiter))
                    }
                }
            }
        } onCancel: {
            loop.execute { handler.value.cancelCall(callID) }
        }
    }

    /// One attempt of a call that passed client middleware: a non-ok status from the peer becomes a failure. The
    /// request is made from the borrowed call before anything is awaited, so the call itself is not copied.
    nonisolated(nonsending) private func attempt(_ call: borrowing ClientCall) async -> Result<ResponseHead, RPCError> {
        let head = RequestHead(method: call.method, metadata: call.metadata, trace: call.trace, payload: call.payload)
        let result = await start(head, timeout: call.timeout, oneWay: false)
        if case .success(let response) = result, response.status.code != .ok {
            return .failure(RPCError(status: response.status))
        }
        return result
    }

    /// The event loop this connection's I/O, and `makeCall`'s futures, run on.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// As `rawCall`, for callers that live on an event loop (NIO handlers, proxies, relays): no Swift task
    /// and no suspension; the future completes on the connection's event loop, failing with `RPCError`.
    /// Called on that event loop it starts the call at once; elsewhere it hops there first. Like `rawCall`
    /// it bypasses the client middleware, and there is no task to cancel: the deadline still holds.
    public func makeCall(
        method: String,
        payload: [UInt8],
        options: CallOptions = .default
    ) -> EventLoopFuture<ResponseHead> {
        let callID = nextCallID.add(1, ordering: .relaxed).newValue
        let head = RequestHead(method: method, metadata: options.metadata, trace: options.trace, payload: payload)
        let deadline = options.timeout.map { NIODeadline.now() + .nanoseconds($0.nanoseconds) }
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: ResponseHead.self)
        let waiter = PendingCall.Waiter.promise(promise)
        if loop.inEventLoop {
            handler.value.startCall(
                PendingCall(callID: callID, head: head, deadline: deadline, oneWay: false, waiter: waiter))
        } else {
            let handler = self.handler
            loop.execute {
                handler.value.startCall(
                    PendingCall(callID: callID, head: head, deadline: deadline, oneWay: false, waiter: waiter))
            }
        }
        return promise.futureResult
    }

    /// Calls a typed method through the transport's client middleware. A non-ok status from the peer is thrown
    /// as `RPCError` with that code and message.
    nonisolated(nonsending) public func call<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        _ request: Req,
        options: CallOptions = .default
    ) async throws(RPCError) -> Resp {
        let response: ResponseHead
        if pipeline.isEmpty {
            response = try await start(
                RequestHead(
                    method: descriptor.path, metadata: options.metadata, trace: options.trace,
                    payload: request.encoded()),
                timeout: options.timeout, oneWay: false
            ).get()
            guard response.status.code == .ok else { throw RPCError(status: response.status) }
        } else {
            let call = ClientCall(
                descriptor, peer: peer.name, metadata: options.metadata, trace: options.trace,
                payload: request.encoded(), timeout: options.timeout)
            if pipeline.soleStandardStep != nil {
                // The standard step run here around each attempt: what `pipeline.send` does, minus its async layers.
                // The step is used in place through `self` (a copy would count a reference of its shared state per
                // call), and the call moves into it.
                var attempts = try pipeline.soleStandardStep!.begin(consume call)
                while true {
                    let result = await attempt(attempts.call)
                    guard let delay = pipeline.soleStandardStep!.finish(&attempts, result) else {
                        response = try result.get()
                        break
                    }
                    try await pipeline.soleStandardStep!.retry(&attempts, after: delay)
                }
            } else {
                response = try await pipeline.send(call) { [self] call async throws(RPCError) -> ResponseHead in
                    try await attempt(call).get()
                }
            }
        }
        do {
            return try Resp(decoding: response.payload)
        } catch {
            throw RPCError(
                .internal, "\(descriptor.path): response does not decode as \(Resp.self): \(error)", cause: error)
        }
    }

    /// Sends a one-way message; returns once it is written to the connection (no response exists).
    nonisolated(nonsending) public func send<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        _ request: Req,
        options: CallOptions = .default
    ) async throws(RPCError) {
        _ = try await rawCall(method: descriptor.path, payload: request.encoded(), options: options, oneWay: true)
    }

    /// This end of the pair: which node dialled it, seen from here.
    var pairEnd: PairTieBreak.End { PairTieBreak.End(peer: peer.name, dialledByPeer: isInbound) }

    /// Starts a graceful close without waiting for it: a goAway, then the close once calls in flight finish.
    func beginClose(grace: MeshDuration, reason: String) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.beginShutdown(grace: grace, reason: reason) }
    }

    /// Graceful close: a goAway tells the peer, calls in flight finish (up to `grace`), then the socket closes.
    public func close(grace: MeshDuration = .seconds(10)) async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.beginShutdown(grace: grace) }
        try? await channel.closeFuture.get()
    }
}
