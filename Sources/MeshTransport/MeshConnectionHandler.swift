import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshWire
import NIOCore

/// One outgoing call, from the moment the caller starts it until it completes exactly once.
/// Its deadline is watched by the connection's single deadline timer, not by a timer of its own.
final class PendingCall {
    typealias Continuation = UnsafeContinuation<Result<ResponseHead, RPCError>, Never>

    /// Who waits for the call: an awaiting task, or a promise on the connection's event loop.
    enum Waiter {
        case continuation(Continuation)
        case promise(EventLoopPromise<ResponseHead>)
    }

    let callID: UInt64
    let head: RequestHead
    let deadline: NIODeadline?
    let oneWay: Bool
    var streamID: UInt32 = 0
    private var waiter: Waiter?

    init(callID: UInt64, head: RequestHead, deadline: NIODeadline?, oneWay: Bool, waiter: Waiter) {
        self.callID = callID
        self.head = head
        self.deadline = deadline
        self.oneWay = oneWay
        self.waiter = waiter
    }

    /// Completes the call; later completions are ignored (a call ends once, so the waiter hears once).
    func complete(_ result: Result<ResponseHead, RPCError>) {
        let w = waiter
        waiter = nil
        switch w {
        case .continuation(let c): c.resume(returning: result)
        case .promise(let p): p.completeWith(result.mapError { $0 as any Error })
        case nil: break
        }
    }
}

/// Everything one connection does, on its event loop: framing, the handshake, sealing, stream
/// multiplexing, deadlines, cancellation, keepalive, backpressure and graceful go-away.
///
/// Invariants:
/// - every method runs on `context.eventLoop`;
/// - before `established`, only plaintext handshake frames (and a plaintext goAway) are legal;
///   after it, every frame is sealed and opened with a per-direction counter;
/// - each `PendingCall` completes exactly once; each inbound stream gets at most one response;
/// - reads never pause (two peers that both stopped reading while their writes were blocked could
///   deadlock); instead an inbound stream counts against `maxConcurrentStreams` until its response
///   has reached the socket, and a peer that opens more streams than our settings allow is cut off.
///   New outgoing calls wait while the socket is unwritable. Memory is bounded by those limits.
final class MeshConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    enum Role {
        case initiator(ClientHandshake)
        case acceptor(ServerHandshake)
    }

    private enum Phase {
        case awaitingHello, awaitingWelcome, awaitingAuth, awaitingSettings, established, closed
    }

    private struct InboundCall {
        var task: Task<Void, Never>?
        /// A one-way message: nothing is answered when it expires.
        var oneWay: Bool
        /// The response is written and on its way to the socket; the stream still counts against the limit.
        var answered = false
    }

    // Fixed at creation.
    private var role: Role
    private let config: TransportConfiguration
    private let router: ServiceRouter
    private var logger: Logger
    private let onEvent: @Sendable (ConnectionEvent) -> Void
    let inbound: Bool
    /// Read by callers on other threads to decide whether to use this connection.
    let flags = ConnectionFlags()
    /// Succeeded with the peer when the handshake completes; failed if the connection ends first.
    let established: EventLoopPromise<PeerInfo>
    /// The frame cipher the handshake chose (valid once keys are installed).
    private(set) var cipher: FrameCipher = .chacha20Poly1305
    private(set) var remoteAddress = "?"

    // Connection state.
    private var context: ChannelHandlerContext?
    private var phase: Phase
    private var cumulation: ByteBuffer?
    private let decoder: FrameDecoder
    private var sealer: FrameSealer?
    private var opener: FrameOpener?
    private(set) var peer: PeerInfo?
    private var handshakeTimer: Scheduled<Void>?
    private var keepaliveTask: RepeatedTask?
    private var lastReadAt = NIODeadline.now()
    private var pingSentAt: NIODeadline?
    private var closeError: ConnectionError?

    // Outgoing calls.
    private var nextStreamID: UInt32
    /// The highest stream id this side has opened (0 before the first): a response above it is a protocol error.
    private var highestOwnStreamID: UInt32 = 0
    private var calls: [UInt64: PendingCall] = [:]
    private var streams: [UInt32: PendingCall] = [:]
    private var queue = CircularBuffer<PendingCall>()
    private var cancelledBeforeStart: Set<UInt64> = []
    private var peerMaxConcurrentStreams = 100
    private var peerSettingsReceived = false
    private var peerMaxBodyLength = FrameDecoder.defaultMaxBodyLength
    /// Deadlines of outgoing calls (by call id) and of inbound calls (by stream id), watched by one timer
    /// armed for the earliest of them; finishing a call costs nothing here.
    private var outgoingDeadlines = DeadlineQueue<UInt64>()
    private var inboundDeadlines = DeadlineQueue<UInt32>()
    private var deadlineTimer: Scheduled<Void>?
    private var deadlineTimerAt = NIODeadline.distantFuture

    // Incoming calls.
    private var inboundCalls: [UInt32: InboundCall] = [:]
    /// The highest stream id the peer has opened, including streams refused or dropped while draining.
    private var highestPeerStreamID: UInt32 = 0
    /// The highest stream id the peer opened that was accepted for processing (answered or served): the `lastStreamID`
    /// of our goAway. Streams refused while draining or for breaking the stream limit are above it (rpc.md).
    private var highestAcceptedPeerStreamID: UInt32 = 0
    /// The `lastStreamID` of the goAway we sent, if any: a later goAway never names a larger one (rpc.md).
    private var goAwayLastStreamID: UInt32?
    private var executor: EventLoopTaskExecutor?

    // Writes and shutdown.
    private var needsFlush = false
    /// Sealed frames not yet handed to the channel (see `writeSealed`); written at the next flush.
    private var pendingOut: ByteBuffer?
    /// Reused to encode request and response bodies, so sending a frame allocates no body array.
    private var scratch = PayloadWriter(capacity: 1024)
    private var flushScheduled = false
    private var draining = false
    private var peerDraining = false
    private var drainTimer: Scheduled<Void>?

    init(
        role: Role,
        config: TransportConfiguration,
        router: ServiceRouter,
        logger: Logger,
        established: EventLoopPromise<PeerInfo>,
        onEvent: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.role = role
        self.config = config
        self.router = router
        self.logger = logger
        self.established = established
        self.onEvent = onEvent
        self.decoder = FrameDecoder(maxBodyLength: config.maxBodyLength)
        switch role {
        case .initiator:
            inbound = false
            phase = .awaitingWelcome
            nextStreamID = config.firstOwnStreamID ?? 1
        case .acceptor:
            inbound = true
            phase = .awaitingHello
            nextStreamID = config.firstOwnStreamID ?? 2
        }
        precondition(nextStreamID % 2 == (inbound ? 0 : 1), "firstOwnStreamID \(nextStreamID) has the wrong parity")
    }

    deinit {
        // Safety net: a channel torn down without channelInactive/handlerRemoved (an event loop shut down
        // mid-registration) must still release whoever waits for the handshake. No-op if already completed.
        established.fail(ConnectionError(.shutdown, "connection discarded before the handshake completed"))
    }

    // MARK: Channel lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.executor = EventLoopTaskExecutor(loop: context.eventLoop)
        if context.channel.isActive { start(context: context) }  // otherwise channelActive starts it
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if phase != .closed {
            let error = ConnectionError(.shutdown, "connection handler removed")
            // Never active: a dial that did not connect, whose caller gets the connect error; nothing to warn about.
            finish(error: started ? error : nil, context: context, closeChannel: false, failCallsWith: error)
        }
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        remoteAddress = context.channel.remoteAddress.map(Self.describe) ?? "?"
        logger[metadataKey: "mesh.remote"] = "\(remoteAddress)"
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let limit = config.handshakeTimeout
        handshakeTimer = context.eventLoop.scheduleTask(in: .nanoseconds(limit.nanoseconds)) {
            bound.value.fail(
                ConnectionError(.handshakeTimeout, "handshake not completed within \(limit)"), tellPeer: true)
        }
        if case .initiator(var hs) = role {
            let hello = hs.hello()
            role = .initiator(hs)
            writePlain(.hello, body: hello)
            flushNow()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase != .closed {
            let error: ConnectionError
            if draining || peerDraining {
                error = ConnectionError(.peerWentAway, "connection closed after go-away")
                finish(error: nil, context: context, closeChannel: false, failCallsWith: error)
            } else if let partial = cumulation, partial.readableBytes > 0 {
                let expected =
                    partial.getInteger(at: partial.readerIndex, as: UInt32.self).map { " of \(Int($0) + 4)" } ?? ""
                error = ConnectionError(
                    .frameRejected,
                    "truncated frame: connection closed after \(partial.readableBytes)\(expected) bytes of a frame"
                )
                finish(error: error, context: context, closeChannel: false, failCallsWith: error)
            } else {
                let during = peer == nil ? " during the handshake" : ""
                error = ConnectionError(.closedByPeer, "peer closed the connection\(during)")
                finish(error: error, context: context, closeChannel: false, failCallsWith: error)
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(ConnectionError(.io, "socket error", cause: error))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drainQueue() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Reading frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard phase != .closed else { return }
        lastReadAt = .now()
        if cumulation == nil {
            cumulation = incoming
        } else {
            cumulation!.writeBuffer(&incoming)
        }
        do {
            while phase != .closed, var buffer = cumulation {
                cumulation = nil
                let frame = try decoder.decode(buffer: &buffer)
                cumulation = buffer.readableBytes > 0 ? buffer : nil
                guard let frame else { break }
                handle(frame)
            }
        } catch {
            // framing.md: a length prefix out of bounds gets a goAway naming frameTooShort / frameTooLarge.
            fail(ConnectionError(.frameRejected, error.message, cause: error), tellPeer: true)
        }
        if let c = cumulation, c.readerIndex > 64 * 1024 { cumulation!.discardReadBytes() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    private func handle(_ frame: Frame) {
        switch phase {
        case .awaitingHello, .awaitingWelcome, .awaitingAuth:
            handleHandshake(frame)
        case .awaitingSettings, .established:
            handleSealed(frame)
        case .closed:
            return
        }
    }

    private func handleHandshake(_ frame: Frame) {
        let type: FrameType
        do {
            type = try frame.header.validated()
        } catch {
            fail(ConnectionError(.frameRejected, error.message, cause: error), tellPeer: true)
            return
        }
        if type == .goAway {
            peerRefusedHandshake(frame)
            return
        }
        let body = Array(frame.body.readableBytesView)[...]
        do throws(CryptoError) {
            guard frame.header.streamID == 0 else {
                throw CryptoError(
                    .malformedHandshake, "\(type) frame on stream \(frame.header.streamID); the handshake uses stream 0"
                )
            }
            switch (phase, role, type) {
            case (.awaitingHello, .acceptor(var hs), .hello):
                let welcome = try hs.receiveHello(body)
                role = .acceptor(hs)
                phase = .awaitingAuth
                writePlain(.welcome, body: welcome)
                flushNow()
            case (.awaitingWelcome, .initiator(var hs), .welcome):
                let (auth, keys, peer) = try hs.receiveWelcome(body)
                role = .initiator(hs)
                writePlain(.auth, body: auth)
                install(keys: keys, peer: peer)
                phase = .awaitingSettings
                sendSettings()
                flushNow()
            case (.awaitingAuth, .acceptor(var hs), .auth):
                let (keys, peer) = try hs.receiveAuth(body)
                role = .acceptor(hs)
                install(keys: keys, peer: peer)
                sendSettings()
                becomeEstablished()
                flushNow()
            default:
                // framing.md: a defined frame type that is not the handshake's next step is a handshake failure.
                throw CryptoError(.unexpectedHandshakeMessage, "\(type) frame during the handshake (\(phase))")
            }
        } catch {
            fail(ConnectionError(.handshakeFailed, error.message, cause: error), tellPeer: true)
        }
    }

    /// The peer's plaintext goAway refusing the handshake: it is not authenticated, so only its reason is reported.
    private func peerRefusedHandshake(_ frame: Frame) {
        let body = Array(frame.body.readableBytesView)[...]
        let reason = (try? GoAwayBody(decoding: body))?.status.description ?? "no reason given"
        fail(ConnectionError(.handshakeFailed, "peer refused the handshake: \(reason)"))
    }

    private func install(keys: SessionKeys, peer: PeerInfo) {
        sealer = keys.makeSealer()
        opener = keys.makeOpener()
        cipher = keys.cipher
        self.peer = peer
        logger[metadataKey: "mesh.peer"] = "\(peer.name)"
    }

    private func sendSettings() {
        let settings = SettingsBody(
            maxConcurrentStreams: UInt32(config.maxConcurrentStreams),
            maxBodyLength: UInt32(config.maxBodyLength)
        )
        writeSealed(.settings, stream: 0, body: settings.encoded())
    }

    private func becomeEstablished() {
        guard phase != .established else { return }
        phase = .established
        handshakeTimer?.cancel()
        handshakeTimer = nil
        guard let context, let peer else { return }
        logger.debug("connection established", metadata: ["mesh.inbound": "\(inbound)", "mesh.cipher": "\(cipher)"])
        startKeepalive(context: context)
        established.succeed(peer)
        onEvent(.established(peer: peer.name, remoteAddress: remoteAddress, inbound: inbound))
        drainQueue()
    }

    private func handleSealed(_ frame: Frame) {
        // framing.md: the server's first sealed frame is settings, so a goAway before it is the plaintext refusal
        // of our auth (the header is in the clear either way).
        if phase == .awaitingSettings, frame.header.rawType == FrameType.goAway.rawValue {
            peerRefusedHandshake(frame)
            return
        }
        let plaintext: [UInt8]
        let type: FrameType
        do {
            plaintext = try opener!.openBytes(frame)
        } catch {
            fail(ConnectionError(.authenticationFailed, "sealed frame rejected: \(error.message)", cause: error))
            return
        }
        do {
            type = try frame.header.validated()
        } catch {
            fail(ConnectionError(.frameRejected, error.message, cause: error), tellPeer: true)
            return
        }
        let body = plaintext[...]
        let stream = frame.header.streamID
        do {
            // framing.md: settings, ping, pong and goAway belong to stream 0, and only they do (calls check their
            // own ids against the streams opened so far).
            let connectionFrame = type == .settings || type == .ping || type == .pong || type == .goAway
            if connectionFrame && stream != 0 {
                throw ConnectionError(.protocolViolation, "\(type) frame on stream \(stream); it belongs to stream 0")
            }
            if phase == .awaitingSettings {
                guard type == .settings else {
                    throw ConnectionError(.protocolViolation, "first sealed frame is \(type), expected settings")
                }
                try applySettings(body)
                becomeEstablished()
                return
            }
            switch type {
            case .settings: try applySettings(body)
            case .request: try receiveRequest(stream: stream, body: body, oneWay: false)
            case .message: try receiveRequest(stream: stream, body: body, oneWay: true)
            case .response: try receiveResponse(stream: stream, body: body)
            case .cancel: try receiveCancel(stream: stream, body: body)
            case .ping:
                let ping = try PingBody(decoding: body)
                writeSealed(.pong, stream: 0, body: ping.encoded())
            case .pong:
                _ = try PingBody(decoding: body)
                pingSentAt = nil
            case .goAway: try receiveGoAway(body)
            case .hello, .welcome, .auth:
                throw ConnectionError(.protocolViolation, "\(type) frame after the handshake")
            }
        } catch let e as ConnectionError {
            fail(e, tellPeer: true)
        } catch let e as WireError {
            fail(ConnectionError(.protocolViolation, "\(type) body rejected: \(e.message)", cause: e), tellPeer: true)
        } catch {
            fail(ConnectionError(.protocolViolation, "\(error)"), tellPeer: true)
        }
    }

    private func applySettings(_ body: ArraySlice<UInt8>) throws {
        guard !peerSettingsReceived else { throw ConnectionError(.protocolViolation, "a second settings frame") }
        peerSettingsReceived = true
        let s = try SettingsBody(decoding: body)
        peerMaxConcurrentStreams = max(1, Int(s.maxConcurrentStreams))
        peerMaxBodyLength = Int(s.maxBodyLength)  // at least SettingsBody.minimumMaxBodyLength: the decoder checks
        drainQueue()
    }

    // MARK: Serving calls

    /// The parity of the stream ids the peer opens (framing.md: the client's are odd).
    private var peerStreamParity: UInt32 { inbound ? 1 : 0 }

    private func receiveRequest(stream: UInt32, body: ArraySlice<UInt8>, oneWay: Bool) throws {
        guard stream != 0, stream % 2 == peerStreamParity else {
            throw ConnectionError(.protocolViolation, "stream id \(stream) has the wrong parity for the peer")
        }
        guard stream > highestPeerStreamID else {
            throw ConnectionError(
                .protocolViolation, "stream id \(stream) is not above the last one (\(highestPeerStreamID))")
        }
        // The stream is opened (and its id used up) whatever happens to it next.
        highestPeerStreamID = stream
        if draining {  // above our goAway's lastStreamID: refused without being processed (rpc.md)
            if !oneWay {
                answer(stream, ResponseHead(status: RPCStatus(code: .unavailable, message: "node is shutting down")))
            }
            return
        }
        let head: RequestHead
        do throws(WireError) {
            head = try RequestHead(decoding: body)
        } catch {
            // A stream-level error (proto-spec/rpc.md): the connection stays open.
            highestAcceptedPeerStreamID = stream
            rejectUndecodableRequest(stream, error, oneWay: oneWay)
            return
        }
        // A stream counts until its response reaches the socket, so a peer that stops reading cannot
        // make us buffer more than maxConcurrentStreams responses: past that it breaks the settings.
        if inboundCalls.count >= config.maxConcurrentStreams {
            if oneWay {
                logger.warning(
                    "one-way message dropped: \(config.maxConcurrentStreams) calls already running",
                    metadata: ["mesh.method": "\(head.method)"])
                return
            }
            throw ConnectionError(
                .protocolViolation,
                "peer exceeded maxConcurrentStreams (\(config.maxConcurrentStreams)) from our settings")
        }
        highestAcceptedPeerStreamID = stream
        guard let entry = router.entry(for: head.method) else {
            logger.debug("unknown method", metadata: ["mesh.method": "\(head.method)"])
            if !oneWay {
                answer(
                    stream,
                    ResponseHead(status: RPCStatus(code: .unimplemented, message: "no handler for \(head.method)")))
            }
            return
        }
        let arrivedAt: MeshInstant? = head.timeoutMicros == 0 ? nil : SystemClock().now()
        let deadline = arrivedAt.map { $0 + .microseconds(Int64(clamping: head.timeoutMicros)) }
        let ctx = ServerContext(
            peerName: peer?.name ?? "",
            peerRoles: peer?.roles ?? [],
            method: head.method,
            metadata: head.metadata,
            trace: head.trace,
            deadline: deadline
        )
        let handler = entry.handler
        let serverCall = ServerCall(context: ctx, kind: entry.kind, payload: head.payload[...])
        // Inline handlers run right here (no task) when the server middleware all run inline too (or there
        // is none); everything else runs as a task.
        if case .inline(let run) = handler, let result = serveInline(serverCall, arrivedAt: arrivedAt, run) {
            if !oneWay { answer(stream, Self.response(result)) } else { logOneWayFailure(result, head.method) }
        } else {
            guard let context else { return }
            let loop = context.eventLoop
            let bound = NIOLoopBound(self, eventLoop: loop)
            inboundCalls[stream] = InboundCall(oneWay: oneWay)
            if head.timeoutMicros != 0 {
                let deadline = NIODeadline.now() + .microseconds(Int64(clamping: head.timeoutMicros))
                inboundDeadlines.insert(deadline, stream, alive: inboundCalls.count, isAlive: isAwaitingAnswer)
                armDeadlineTimer()
            }
            let method = head.method
            let pipeline = router.pipeline
            let executor = self.executor
            guard let step = pipeline.soleStandardStep, step.runsAround(serverCall) else {
                inboundCalls[stream]!.task = Task(executorPreference: executor) {
                    let result: Result<ServerResponse, RPCError>
                    do throws(RPCError) {
                        result = .success(try await pipeline.handle(serverCall, handler: handler))
                    } catch {
                        result = .failure(error)
                    }
                    MeshConnectionHandler.deliver(result, stream, to: bound, on: loop, oneWay: oneWay, method: method)
                }
                return
            }
            // The standard step, run here around the handler's task: it admits the call on the event loop and binds
            // the call's scope while the task is created (the task inherits it), so the task only runs the handler.
            do throws(RPCError) {
                inboundCalls[stream]!.task = try step.begin(serverCall, arrivedAt: arrivedAt) { admitted in
                    Task(executorPreference: executor) {
                        let result: Result<ServerResponse, RPCError>
                        do throws(RPCError) {
                            result = .success(try await handler.serve(serverCall))
                        } catch {
                            result = .failure(error)
                        }
                        MeshConnectionHandler.deliver(
                            step.finish(serverCall, admitted, result), stream, to: bound, on: loop, oneWay: oneWay,
                            method: method)
                    }
                }
            } catch {
                finishInbound(stream, .failure(error), oneWay: oneWay, method: method)
            }
        }
    }

    /// Hands a served call's result to the connection, on its event loop. (Called as `MeshConnectionHandler.deliver`
    /// in the tasks: Swift 6.3's region-based isolation checker rejects `Self.deliver` there.)
    private static func deliver(
        _ result: Result<ServerResponse, RPCError>, _ stream: UInt32, to bound: NIOLoopBound<MeshConnectionHandler>,
        on loop: any EventLoop, oneWay: Bool, method: String
    ) {
        if loop.inEventLoop {
            bound.value.finishInbound(stream, result, oneWay: oneWay, method: method)
        } else {
            loop.execute { bound.value.finishInbound(stream, result, oneWay: oneWay, method: method) }
        }
    }

    /// Serves a call to an inline handler right here, on the event loop; nil if the pipeline cannot run inline. A lone
    /// standard step is run here around the handler (used in place: a copy would count a reference of its shared
    /// state per call), as on the task path.
    @inline(__always)
    private func serveInline(_ call: ServerCall, arrivedAt: MeshInstant?, _ run: @escaping InlineHandler)
        -> Result<ServerResponse, RPCError>?
    {
        guard router.pipeline.soleStandardStep?.runsAround(call) == true else {
            return router.pipeline.handleInline(call, handler: run)
        }
        return router.pipeline.soleStandardStep!.serveInline(call, arrivedAt: arrivedAt, run)
    }

    /// A request body that does not decode is answered `invalidArgument` with `<WireError code>: <detail>`;
    /// a one-way message's is dropped and logged (it has no answer).
    private func rejectUndecodableRequest(_ stream: UInt32, _ error: WireError, oneWay: Bool) {
        if oneWay {
            logger.warning(
                "one-way message dropped: its body does not decode",
                metadata: ["mesh.stream": "\(stream)", "error": "\(error)"])
        } else {
            logger.debug(
                "request rejected: its body does not decode",
                metadata: ["mesh.stream": "\(stream)", "error": "\(error)"])
            answer(stream, ResponseHead(status: RPCStatus(code: .invalidArgument, message: "\(error)")))
        }
    }

    private static func response(_ result: Result<ServerResponse, RPCError>) -> ResponseHead {
        switch result {
        case .success(let r): ResponseHead(status: .ok, metadata: r.metadata, payload: r.payload)
        case .failure(let e): ResponseHead(status: e.status)
        }
    }

    private func logOneWayFailure(_ result: Result<ServerResponse, RPCError>, _ method: String) {
        if case .failure(let e) = result {
            logger.warning("one-way message handler failed", metadata: ["mesh.method": "\(method)", "error": "\(e)"])
        }
    }

    /// The call's handler returned (unless it was cancelled or expired first).
    private func finishInbound(
        _ stream: UInt32, _ result: Result<ServerResponse, RPCError>, oneWay: Bool, method: String
    ) {
        guard let call = inboundCalls[stream], !call.answered else { return }  // cancelled or expired
        if call.oneWay {
            inboundCalls[stream] = nil
            logOneWayFailure(result, method)
            closeIfDrained()
        } else {
            answer(stream, Self.response(result))
        }
        scheduleFlush()
    }

    /// True while an inbound call runs and has not been answered (it may still expire or be cancelled).
    private func isAwaitingAnswer(_ stream: UInt32) -> Bool {
        inboundCalls[stream].map { !$0.answered } ?? false
    }

    private func expireInbound(_ stream: UInt32) {
        guard let call = inboundCalls[stream], !call.answered else { return }
        call.task?.cancel()
        if call.oneWay {
            inboundCalls[stream] = nil
            closeIfDrained()
        } else {
            answer(
                stream,
                ResponseHead(status: RPCStatus(code: .deadlineExceeded, message: "the caller's deadline passed")))
            scheduleFlush()
        }
    }

    /// Stops serving `stream`. A cancel for a stream we no longer serve is ignored; one naming a stream the
    /// peer never opened is a protocol error (proto-spec/framing.md). A cancel whose body does not decode is
    /// still a cancel (a stream-level error, proto-spec/rpc.md): only its reason, which is for logs, is lost.
    private func receiveCancel(stream: UInt32, body: ArraySlice<UInt8>) throws(ConnectionError) {
        guard stream != 0, stream % 2 == peerStreamParity, stream <= highestPeerStreamID else {
            throw ConnectionError(.protocolViolation, "cancel on stream \(stream), which the peer never opened")
        }
        let reason: String
        do throws(WireError) {
            reason = try CancelBody(decoding: body).reason
        } catch {
            logger.warning(
                "cancel body does not decode; cancelling without its reason",
                metadata: ["mesh.stream": "\(stream)", "error": "\(error)"])
            reason = "cancel reason did not decode: \(error)"
        }
        guard let call = inboundCalls[stream], !call.answered else { return }  // already answered
        inboundCalls[stream] = nil
        logger.debug("call cancelled by peer", metadata: ["mesh.stream": "\(stream)", "reason": "\(reason)"])
        call.task?.cancel()
        closeIfDrained()
    }

    /// Writes the one response of an inbound stream. While the channel is writable the stream is released
    /// at once (the response is within the outbound buffer's bounded watermark); otherwise it counts until
    /// the bytes reach the socket, so a peer that stops reading cannot make us buffer without bound.
    private func answer(_ stream: UInt32, _ response: ResponseHead) {
        guard let context else { return }
        scratch.removeAll()
        response.encode(to: &scratch)
        var body = scratch.bytes
        if body.count + Self.sealingOverhead > peerMaxBodyLength {
            logger.warning(
                "response too large for the peer; answering resourceExhausted",
                metadata: ["mesh.stream": "\(stream)", "bytes": "\(body.count)"])
            body = ResponseHead(
                status: RPCStatus(
                    code: .resourceExhausted,
                    message:
                        "response body of \(body.count + Self.sealingOverhead) bytes sealed exceeds the caller's limit of \(peerMaxBodyLength)"
                )
            ).encoded()
        }
        if context.channel.isWritable {
            let call = inboundCalls.removeValue(forKey: stream)
            writeSealed(.response, stream: stream, body: body)
            if call != nil { closeIfDrained() }
            return
        }
        var call = inboundCalls[stream] ?? InboundCall(oneWay: false)
        call.task = nil
        call.answered = true
        inboundCalls[stream] = call
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in bound.value.responseWritten(stream) }
        writeSealed(.response, stream: stream, body: body, promise: written)
    }

    private func responseWritten(_ stream: UInt32) {
        guard phase != .closed, inboundCalls.removeValue(forKey: stream) != nil else { return }
        closeIfDrained()
    }

    // MARK: Making calls

    /// Starts a call. Runs on the event loop; `call.complete` is invoked exactly once.
    func startCall(_ call: PendingCall) {
        if !cancelledBeforeStart.isEmpty, cancelledBeforeStart.remove(call.callID) != nil {
            call.complete(.failure(RPCError(.cancelled, "the call was cancelled before it started")))
            return
        }
        if let refusal = refusalForNewCalls() {
            call.complete(.failure(refusal))
            return
        }
        if let deadline = call.deadline, deadline <= .now() {
            call.complete(.failure(RPCError(.deadlineExceeded, "the deadline passed before the call was sent")))
            return
        }
        calls[call.callID] = call
        if let deadline = call.deadline { watchDeadline(deadline, of: call.callID) }
        if canSendNow {
            send(call)
            scheduleFlush()
        } else if queue.count >= config.maxQueuedCalls {
            calls[call.callID] = nil
            call.complete(
                .failure(
                    RPCError(
                        .resourceExhausted,
                        "\(config.maxQueuedCalls) calls already queued on the connection to \(peer?.name ?? remoteAddress)"
                    )))
        } else {
            queue.append(call)
        }
    }

    /// Watches an outgoing call's deadline.
    private func watchDeadline(_ deadline: NIODeadline, of callID: UInt64) {
        outgoingDeadlines.insert(deadline, callID, alive: calls.count) { calls[$0] != nil }
        armDeadlineTimer()
    }

    /// Schedules the deadline timer for the earliest deadline unless it is already due no later.
    private func armDeadlineTimer() {
        let earliest = min(outgoingDeadlines.earliest ?? .distantFuture, inboundDeadlines.earliest ?? .distantFuture)
        guard phase != .closed, earliest < deadlineTimerAt, let context else { return }
        deadlineTimer?.cancel()
        deadlineTimerAt = earliest
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        deadlineTimer = context.eventLoop.scheduleTask(deadline: earliest) { bound.value.deadlineTimerFired() }
    }

    /// Expires every call whose deadline has passed, then re-arms for the earliest live one.
    private func deadlineTimerFired() {
        deadlineTimer = nil
        deadlineTimerAt = .distantFuture
        let now = NIODeadline.now()
        for callID in outgoingDeadlines.popExpired(now: now, isAlive: { calls[$0] != nil }) { expireCall(callID) }
        for stream in inboundDeadlines.popExpired(now: now, isAlive: isAwaitingAnswer) { expireInbound(stream) }
        armDeadlineTimer()
    }

    private func refusalForNewCalls() -> RPCError? {
        if phase == .closed {
            return RPCError(.unavailable, "connection to \(peer?.name ?? remoteAddress) is closed", cause: closeError)
        }
        if draining || peerDraining {
            return RPCError(.unavailable, "connection to \(peer?.name ?? remoteAddress) is going away")
        }
        return nil
    }

    private var canSendNow: Bool {
        phase == .established && queue.isEmpty && streams.count < peerMaxConcurrentStreams
            && (context?.channel.isWritable ?? false)
    }

    private func send(_ call: PendingCall) {
        var head = call.head
        if let deadline = call.deadline {
            let remaining = (deadline - .now()).nanoseconds / 1000
            guard remaining > 0 else {
                calls[call.callID] = nil
                call.complete(.failure(RPCError(.deadlineExceeded, "the deadline passed while the call was queued")))
                return
            }
            head.timeoutMicros = UInt64(remaining)
        }
        scratch.removeAll()
        head.encode(to: &scratch)
        let body = scratch.bytes
        guard body.count + Self.sealingOverhead <= peerMaxBodyLength else {
            calls[call.callID] = nil
            call.complete(
                .failure(
                    RPCError(
                        .resourceExhausted,
                        "request body of \(body.count + Self.sealingOverhead) bytes sealed exceeds the peer's limit of \(peerMaxBodyLength)"
                    )))
            return
        }
        let stream = nextStreamID
        // 2³²−1 (client) and 2³²−2 (server) are the last ids of each side: no stream may follow (framing.md).
        let lastStreamID = stream >= UInt32.max - 1
        if !lastStreamID { nextStreamID += 2 }
        highestOwnStreamID = stream
        call.streamID = stream
        if call.oneWay {
            calls[call.callID] = nil
            writeSealed(.message, stream: stream, body: body)
            call.complete(.success(ResponseHead(status: .ok)))
        } else {
            streams[stream] = call
            writeSealed(.request, stream: stream, body: body)
        }
        if lastStreamID {
            logger.info("stream ids used up; going away so new calls open a new connection")
            beginShutdown(grace: config.shutdownGrace, reason: Self.streamIDsUsedUp)
        }
    }

    /// The bytes sealing adds to a body (the AEAD tag): the peer's `maxBodyLength` limits the body as sent (framing.md).
    static let sealingOverhead = 16

    static let streamIDsUsedUp = "this connection's stream ids are used up: new calls need a new connection"

    private func drainQueue() {
        var sent = false
        while phase == .established, !draining, !peerDraining, let next = queue.first,
            streams.count < peerMaxConcurrentStreams, context?.channel.isWritable ?? false
        {
            queue.removeFirst()
            guard calls[next.callID] != nil else { continue }  // expired or cancelled while queued
            send(next)
            sent = true
        }
        if sent { scheduleFlush() }
    }

    /// The caller cancelled: fail the call now and tell the peer to stop working on it.
    func cancelCall(_ callID: UInt64) {
        guard let call = calls.removeValue(forKey: callID) else {
            cancelledBeforeStart.insert(callID)
            return
        }
        abandon(call, reason: "cancelled by the caller")
        call.complete(.failure(RPCError(.cancelled, "the call was cancelled")))
    }

    private func expireCall(_ callID: UInt64) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        abandon(call, reason: "deadline exceeded")
        call.complete(.failure(Self.deadlineExceeded(from: peer?.name ?? remoteAddress)))
    }

    private static func deadlineExceeded(from peer: String) -> RPCError {
        RPCError(.deadlineExceeded, "no response from \(peer) before the deadline")
    }

    private func abandon(_ call: PendingCall, reason: String) {
        if call.streamID != 0, streams.removeValue(forKey: call.streamID) != nil, phase == .established {
            writeSealed(.cancel, stream: call.streamID, body: CancelBody(reason: reason).encoded())
            scheduleFlush()
            drainQueue()
        }
        closeIfDrained()
    }

    /// Completes the call open on `stream`. A response for a stream with no open call crossed our cancel or
    /// deadline and is discarded, whatever its body; one naming a stream we never opened is a protocol error
    /// (proto-spec/framing.md). A body that does not decode fails only its call, with `internal` (a
    /// stream-level error, proto-spec/rpc.md); the connection stays open.
    private func receiveResponse(stream: UInt32, body: ArraySlice<UInt8>) throws(ConnectionError) {
        guard stream != 0, stream % 2 != peerStreamParity, stream <= highestOwnStreamID else {
            throw ConnectionError(.protocolViolation, "response on stream \(stream), which this side never opened")
        }
        guard let call = streams.removeValue(forKey: stream) else {
            // The call was cancelled or timed out here first; the peer's answer crossed our cancel.
            logger.trace("late response discarded", metadata: ["mesh.stream": "\(stream)"])
            return
        }
        calls[call.callID] = nil
        do throws(WireError) {
            let response = try ResponseHead(decoding: body)
            if response.status.code == .deadlineExceeded, let deadline = call.deadline, NIODeadline.now() >= deadline {
                // The peer stopped at the deadline we sent it, and ours has passed too: the caller sees what our own
                // timer reports, whichever of the two fired first.
                call.complete(.failure(Self.deadlineExceeded(from: peer?.name ?? remoteAddress)))
            } else {
                call.complete(.success(consume response))
            }
        } catch {
            logger.warning(
                "call failed: its response body does not decode",
                metadata: [
                    "mesh.stream": "\(stream)", "mesh.method": "\(call.head.method)", "error": "\(error)",
                ])
            call.complete(
                .failure(RPCError(.internal, "response on stream \(stream) does not decode: \(error)", cause: error)))
        }
        drainQueue()
        closeIfDrained()
    }

    // MARK: Keepalive

    private func startKeepalive(context: ChannelHandlerContext) {
        let interval = TimeAmount.nanoseconds(config.keepaliveInterval.nanoseconds)
        let timeout = TimeAmount.nanoseconds(config.keepaliveTimeout.nanoseconds)
        let check = TimeAmount.nanoseconds(max(min(interval.nanoseconds, timeout.nanoseconds) / 4, 1_000_000))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepaliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: check, delay: check) { _ in
            bound.value.keepaliveTick(interval: interval, timeout: timeout)
        }
    }

    private func keepaliveTick(interval: TimeAmount, timeout: TimeAmount) {
        guard phase == .established else { return }
        let now = NIODeadline.now()
        if let sent = pingSentAt {
            if now - sent > timeout {
                fail(ConnectionError(.keepaliveTimeout, "no pong within \(config.keepaliveTimeout)"))
            }
        } else if now - lastReadAt > interval {
            pingSentAt = now
            writeSealed(.ping, stream: 0, body: PingBody(opaque: UInt64(now.uptimeNanoseconds)).encoded())
            scheduleFlush()
        }
    }

    // MARK: Go-away

    /// Starts a graceful shutdown: tell the peer, answer what was accepted, then close.
    func beginShutdown(grace: MeshDuration, reason: String = "node is shutting down") {
        guard phase != .closed, !draining, let context else { return }
        draining = true
        flags.markGoingAway()
        if phase == .established {
            goAwayLastStreamID = highestAcceptedPeerStreamID
            let body = GoAwayBody(
                lastStreamID: highestAcceptedPeerStreamID, status: RPCStatus(code: .unavailable, message: reason))
            writeSealed(.goAway, stream: 0, body: body.encoded())
            flushNow()
        }
        for call in queue {
            calls[call.callID] = nil
            call.complete(.failure(RPCError(.unavailable, reason)))
        }
        queue.removeAll()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        drainTimer = context.eventLoop.scheduleTask(in: .nanoseconds(grace.nanoseconds)) {
            bound.value.fail(
                ConnectionError(.shutdown, "in-flight calls did not finish within the shutdown grace period"))
        }
        closeIfDrained()
    }

    private func receiveGoAway(_ body: ArraySlice<UInt8>) throws {
        let goAway = try GoAwayBody(decoding: body)
        logger.info("peer is going away", metadata: ["reason": "\(goAway.status)"])
        peerDraining = true
        flags.markGoingAway()
        // Our calls above the peer's last accepted stream were not seen: they may be retried elsewhere.
        for (stream, call) in streams where stream > goAway.lastStreamID && stream % 2 == (inbound ? 0 : 1) {
            streams[stream] = nil
            calls[call.callID] = nil
            call.complete(.failure(RPCError(.unavailable, "peer is going away: \(goAway.status)")))
        }
        for call in queue {
            calls[call.callID] = nil
            call.complete(.failure(RPCError(.unavailable, "peer is going away: \(goAway.status)")))
        }
        queue.removeAll()
        closeIfDrained()
    }

    private func closeIfDrained() {
        guard draining || peerDraining, phase != .closed, inboundCalls.isEmpty, streams.isEmpty, let context else {
            return
        }
        finish(error: nil, context: context, closeChannel: true, failCallsWith: nil)
    }

    // MARK: Failing and closing

    /// Closes the connection because of `error`; logs it and fails every pending call. With
    /// `tellPeer`, a goAway says why first: sealed once both directions have keys, plaintext before
    /// (the peer cannot open sealed frames yet; framing.md, "Errors that close the connection").
    func fail(_ error: ConnectionError, tellPeer: Bool = false) {
        guard phase != .closed, let context else { return }
        if tellPeer {
            let body = GoAwayBody(
                lastStreamID: goAwayLastStreamID ?? highestAcceptedPeerStreamID, status: Self.goAwayStatus(for: error))
            if sealer != nil, phase == .established || phase == .awaitingSettings {
                writeSealed(.goAway, stream: 0, body: body.encoded())
            } else {
                writePlain(.goAway, body: body.encoded())
            }
            flushNow()
        }
        finish(error: error, context: context, closeChannel: true, failCallsWith: error)
    }

    /// The status a goAway carries for `error` (framing.md's table; handshake refusals are `unauthenticated`). Its
    /// message is `<code>: <detail>`, the code being the `WireError`, `CryptoError` or `ConnectionError` code name.
    static func goAwayStatus(for error: ConnectionError) -> RPCStatus {
        if let wire = error.cause as? WireError {
            let code: RPCStatus.Code =
                wire.code == .unsupportedVersion || wire.code == .unknownFrameType ? .unimplemented : .internal
            return RPCStatus(code: code, message: "\(wire.code): \(wire.message)")
        }
        if let crypto = error.cause as? CryptoError { return crypto.goAwayBody.status }
        let message = "\(error.code): \(error.message)"
        switch error.code {
        case .handshakeFailed, .handshakeTimeout: return RPCStatus(code: .unauthenticated, message: message)
        case .protocolViolation, .frameRejected: return RPCStatus(code: .internal, message: message)
        default: return RPCStatus(code: .unavailable, message: message)
        }
    }

    private func finish(
        error: ConnectionError?, context: ChannelHandlerContext, closeChannel: Bool, failCallsWith: ConnectionError?
    ) {
        guard phase != .closed else { return }
        phase = .closed
        flags.markGoingAway()
        closeError = error
        handshakeTimer?.cancel()
        keepaliveTask?.cancel()
        drainTimer?.cancel()
        deadlineTimer?.cancel()
        outgoingDeadlines.removeAll()
        inboundDeadlines.removeAll()
        if let error {
            logger.warning("connection closed: \(error)", metadata: ["mesh.inbound": "\(inbound)"])
        } else {
            logger.debug("connection closed")
        }
        let reason = failCallsWith ?? ConnectionError(.shutdown, "connection closed")
        let pending = Array(calls.values)
        calls.removeAll()
        streams.removeAll()
        queue.removeAll()
        for call in pending {
            call.complete(
                .failure(
                    RPCError(
                        .unavailable, "connection to \(peer?.name ?? remoteAddress) closed: \(reason)", cause: reason)))
        }
        for (_, call) in inboundCalls { call.task?.cancel() }
        inboundCalls.removeAll()
        established.fail(error ?? ConnectionError(.shutdown, "connection closed"))
        onEvent(.closed(peer: peer?.name, remoteAddress: remoteAddress, inbound: inbound, error: error))
        if closeChannel {
            flushIfNeeded()  // a final response or goAway still goes out
            context.close(promise: nil)
        }
    }

    // MARK: Writing frames

    private func writePlain(_ type: FrameType, body: [UInt8]) {
        guard let context else { return }
        writePending(context)
        var out = context.channel.allocator.buffer(capacity: FrameHeader.prefixAndHeaderSize + body.count)
        Frame.writePrefixAndHeader(FrameHeader(type: type, streamID: 0), bodyLength: body.count, into: &out)
        out.writeBytes(body)
        context.write(wrapOutboundOut(out), promise: nil)
        needsFlush = true
    }

    private func writeSealed(_ type: FrameType, stream: UInt32, body: [UInt8], promise: EventLoopPromise<Void>? = nil) {
        guard let context, sealer != nil else {
            promise?.fail(ConnectionError(.shutdown, "connection closed"))
            return
        }
        let sealedSize = FrameHeader.prefixAndHeaderSize + body.count + 16
        // Frames without a promise are sealed into one shared buffer, handed to the channel at the next
        // flush: one allocation and one pending write per batch instead of per frame. The batch is bounded
        // by the streams allowed in flight, as each frame is one call's request or response.
        var out: ByteBuffer
        if promise == nil, let batch = pendingOut.take() {
            out = batch
        } else {
            if promise != nil { writePending(context) }
            out = context.channel.allocator.buffer(capacity: promise == nil ? max(sealedSize, 16 * 1024) : sealedSize)
        }
        do {
            try sealer!.seal(header: FrameHeader(type: type, streamID: stream), plaintext: body, into: &out)
        } catch {
            promise?.fail(error)
            if promise == nil { pendingOut = out }
            fail(ConnectionError(.io, "cannot seal frame: \(error.message)", cause: error))
            return
        }
        if promise == nil {
            pendingOut = out
            // A large batch goes out at once, so the peer starts on it while this loop keeps working.
            if out.readableBytes >= Self.eagerFlushBytes { flushNow() }
        } else {
            context.write(wrapOutboundOut(out), promise: promise)
        }
        needsFlush = true
        if sealer!.shouldRenewKeys, !draining {
            // Only AES-256-GCM has a practical limit (64 GiB per key): new calls go to a fresh connection.
            logger.info(
                "frame key nearly used up; going away so new calls get a fresh handshake and keys",
                metadata: ["mesh.cipher": "\(sealer!.cipher)", "bytes": "\(sealer!.sealedBytes)"])
            beginShutdown(grace: config.shutdownGrace, reason: "renewing the connection's frame keys")
        }
    }

    /// Sealed bytes pending past which they are flushed at once instead of at the end of the read batch, so
    /// the peer starts on them while this loop keeps working: both cores stay busy instead of taking turns.
    /// Measured with 4 KiB echo calls from the event loop: ×2–3 calls/s at 16 and 64 in flight (16–64 KiB
    /// all within noise of each other); 64 B batches rarely reach it.
    static let eagerFlushBytes = 32 * 1024

    /// Hands the batch of sealed frames (if any) to the channel, keeping frame order.
    private func writePending(_ context: ChannelHandlerContext) {
        guard let batch = pendingOut.take() else { return }
        context.write(wrapOutboundOut(batch), promise: nil)
    }

    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        writePending(context)
        context.flush()
    }

    private func flushNow() {
        needsFlush = true
        flushIfNeeded()
    }

    /// Flushes once after the event loop's current batch of tasks, so calls started together share a syscall.
    private func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.flushScheduled = false
            bound.value.flushIfNeeded()
        }
    }

    static func describe(_ address: SocketAddress) -> String {
        if let ip = address.ipAddress, let port = address.port {
            return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return "\(address)"
    }
}
