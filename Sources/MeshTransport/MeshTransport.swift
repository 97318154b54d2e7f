import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshWire
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A node's transport: it listens for peers, dials peers, keeps one authenticated connection per
/// peer shared by all calls, reconnects with backoff, and shuts down gracefully.
///
/// Sendable: mutable state is in `state`, a `Mutex`; everything else is immutable.
public final class MeshTransport: Sendable {
    public let identity: NodeIdentity
    public let configuration: TransportConfiguration
    let router: ServiceRouter
    /// Client middleware for every typed call made through this transport's connections.
    let clientPipeline: ClientPipeline
    let group: any EventLoopGroup
    let logger: Logger
    let onEvent: @Sendable (ConnectionEvent) -> Void
    private let state = Mutex(State())

    private struct State {
        var listener: (any Channel)?
        var shuttingDown = false
        /// Every established connection, inbound and outbound.
        var connections: [ObjectIdentifier: MeshConnection] = [:]
        /// Outbound dialling state per address.
        var dials: [HostPort: Dial] = [:]
    }

    private enum Dial {
        case connecting(EventLoopFuture<MeshConnection>)
        case connected(MeshConnection)
        case backoff(until: NIODeadline, attempt: Int, lastError: RPCError)
    }

    public init(
        identity: NodeIdentity,
        router: ServiceRouter,
        configuration: TransportConfiguration = .init(),
        clientPipeline: ClientPipeline = ClientPipeline(),
        group: any EventLoopGroup,
        logger: Logger,
        onEvent: @escaping @Sendable (ConnectionEvent) -> Void = { _ in }
    ) {
        self.identity = identity
        self.router = router
        self.clientPipeline = clientPipeline
        self.configuration = configuration
        self.group = group
        var logger = logger
        logger[metadataKey: "mesh.node"] = "\(identity.name)"
        self.logger = logger
        self.onEvent = onEvent
    }

    static func wallNow() -> WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(secondsSinceEpoch: Int64(ts.tv_sec))
    }

    // MARK: Listening

    /// Starts accepting peers on `host:port` (port 0 picks a free one) and returns the bound address.
    @discardableResult
    public func listen(on address: HostPort) async throws -> HostPort {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let hs = ServerHandshake(
                        identity: self.identity, now: Self.wallNow(), ciphers: self.configuration.ciphers)
                    try self.install(on: channel, role: .acceptor(hs))
                }
            }
        let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        state.withLock { $0.listener = channel }
        let bound = channel.localAddress
        let result = HostPort(host: bound?.ipAddress ?? address.host, port: bound?.port ?? address.port)
        logger.info("listening", metadata: ["mesh.listen": "\(result)"])
        return result
    }

    /// Adds the connection handler to a fresh channel and registers the connection once established.
    @discardableResult
    private func install(on channel: any Channel, role: MeshConnectionHandler.Role) throws -> EventLoopFuture<
        MeshConnection
    > {
        let established = channel.eventLoop.makePromise(of: PeerInfo.self)
        let handler = MeshConnectionHandler(
            role: role,
            config: configuration,
            router: router,
            logger: logger,
            established: established,
            onEvent: onEvent
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let flags = handler.flags
        let isInbound = handler.inbound
        let future = established.futureResult.map { peer in
            let connection = MeshConnection(
                channel: channel,
                handler: bound,
                flags: flags,
                peer: peer,
                remoteAddress: bound.value.remoteAddress,
                isInbound: isInbound,
                cipher: bound.value.cipher,
                pipeline: self.clientPipeline
            )
            return self.register(connection)
        }
        return future
    }

    /// Adds an established connection to the table and returns the one to use for its peer: `connection`, or the
    /// connection it lost to (`PairTieBreak`), which the loser is closed in favour of, gracefully.
    private func register(_ connection: MeshConnection) -> MeshConnection {
        let id = ObjectIdentifier(connection)
        let (refused, winner, loser) = state.withLock { state -> (Bool, MeshConnection, MeshConnection?) in
            if state.shuttingDown { return (true, connection, nil) }
            let rival = state.connections.values.first {
                $0.peer.name == connection.peer.name && $0.isAvailable
            }
            state.connections[id] = connection
            guard let rival else { return (false, connection, nil) }
            let (winner, loser): (MeshConnection, MeshConnection)
            switch PairTieBreak.decide(me: identity.name, existing: rival.pairEnd, new: connection.pairEnd) {
            case .keepBoth: return (false, connection, nil)
            case .closeNew: (winner, loser) = (rival, connection)
            case .closeExisting: (winner, loser) = (connection, rival)
            }
            loser.flags.markGoingAway()  // no new call picks it, from now on
            // An address dialled for the loser now reaches the peer through the winner (no redial).
            for (address, dial) in state.dials {
                if case .connected(let c) = dial, c === loser { state.dials[address] = .connected(winner) }
            }
            return (false, winner, loser)
        }
        if refused {
            connection.channel.close(promise: nil)  // shutting down: no new connections
            return connection
        }
        if let loser {
            logger.debug(
                "second connection to the same peer; closing one",
                metadata: [
                    "mesh.peer": "\(loser.peer.name)", "mesh.closing": loser.isInbound ? "inbound" : "outbound",
                ])
            loser.beginClose(grace: configuration.shutdownGrace, reason: "duplicate connection between the same pair")
        }
        connection.closeFuture.whenComplete { [self] _ in
            self.state.withLock { state in
                state.connections[id] = nil
                for (address, dial) in state.dials {
                    if case .connected(let c) = dial, c === connection { state.dials[address] = nil }
                }
            }
        }
        return winner
    }

    // MARK: Dialling

    /// Opens a new connection to `address` and completes the handshake. Most callers want
    /// `connection(to:)`, which reuses an existing one.
    public func connect(to address: HostPort, expectedPeerName: String? = nil) async throws(RPCError) -> MeshConnection
    {
        let identity = self.identity
        // The handler is installed before the socket connects, so no byte or close can slip past it.
        let result = group.next().makePromise(of: MeshConnection.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.nanoseconds))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let hs = ClientHandshake(
                        identity: identity, now: Self.wallNow(), expectedPeerName: expectedPeerName,
                        ciphers: self.configuration.ciphers)
                    try self.install(on: channel, role: .initiator(hs)).cascade(to: result)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            let failure = RPCError(
                .unavailable, "cannot connect to \(address): \(error)",
                cause: ConnectionError(.connectFailed, "\(error)"))
            result.fail(failure)
            throw failure
        }
        do {
            return try await result.futureResult.get()
        } catch let error as ConnectionError {
            channel.close(promise: nil)
            let code: RPCStatus.Code = error.code == .handshakeFailed ? .unauthenticated : .unavailable
            throw RPCError(code, "connection to \(address) failed: \(error)", cause: error)
        } catch {
            channel.close(promise: nil)
            throw RPCError(.unavailable, "connection to \(address) failed: \(error)")
        }
    }

    /// The shared connection to `address`: an existing available one, or a new one. After a failed
    /// dial, further dials wait a backoff (full jitter, exponentially growing). While the address is
    /// in backoff, callers fail fast with `unavailable` and the last error (as gRPC does for a channel
    /// in transient failure), unless they ask to `waitForReady` and the next attempt falls before
    /// their `deadline`.
    ///
    /// With `peerName`, any available connection to that peer is reused whichever side dialled it (one
    /// connection per pair of peers), and the connection returned always belongs to that peer: a new one
    /// must present a certificate with that name, and an existing one to the address held by another node
    /// is refused (`unauthenticated`, cause `CryptoError.peerNameMismatch`).
    public func connection(
        to address: HostPort,
        peerName: String? = nil,
        deadline: MeshInstant? = nil,
        waitForReady: Bool = false
    ) async throws(RPCError) -> MeshConnection {
        let clock = SystemClock()
        while true {
            enum Step {
                case use(MeshConnection)
                case wait(EventLoopFuture<MeshConnection>)
                case sleep(NIODeadline, RPCError)
                case dial(EventLoopPromise<MeshConnection>, attempt: Int)
                case refuse(RPCError)
            }
            let step: Step = state.withLock { state in
                if state.shuttingDown { return .refuse(RPCError(.unavailable, "transport is shutting down")) }
                if let peerName,
                    let existing = state.connections.values.first(where: {
                        $0.peer.name == peerName && $0.isAvailable
                    })
                {
                    return .use(existing)
                }
                switch state.dials[address] {
                case .connected(let c) where c.isAvailable:
                    return .use(c)
                case .connecting(let f):
                    return .wait(f)
                case .backoff(let until, _, let error) where until > .now():
                    return .sleep(until, error)
                case .backoff(_, let attempt, _):
                    let p = group.next().makePromise(of: MeshConnection.self)
                    state.dials[address] = .connecting(p.futureResult)
                    return .dial(p, attempt: attempt)
                default:
                    let p = group.next().makePromise(of: MeshConnection.self)
                    state.dials[address] = .connecting(p.futureResult)
                    return .dial(p, attempt: 0)
                }
            }
            switch step {
            case .use(let c):
                return try Self.checked(c, at: address, peerName: peerName)
            case .refuse(let e):
                throw e
            case .wait(let f):
                let c: MeshConnection
                do { c = try await f.get() } catch { continue }
                return try Self.checked(c, at: address, peerName: peerName)
            case .sleep(let until, let lastError):
                let wait = until - .now()
                let tooLate = deadline.map { clock.now() + .nanoseconds(wait.nanoseconds) > $0 } ?? false
                if !waitForReady || tooLate {
                    throw RPCError(
                        .unavailable,
                        "\(address) is unreachable (next attempt in \(MeshDuration.nanoseconds(wait.nanoseconds))): \(lastError.message)",
                        cause: lastError)
                }
                try? await Task.sleep(for: .nanoseconds(wait.nanoseconds))
                if Task.isCancelled { throw RPCError(.cancelled, "cancelled while waiting to reconnect to \(address)") }
            case .dial(let promise, let attempt):
                do {
                    let c = try await connect(to: address, expectedPeerName: peerName)
                    state.withLock { $0.dials[address] = .connected(c) }
                    promise.succeed(c)
                    return c
                } catch {
                    let backoff = backoffDelay(attempt: attempt)
                    logger.info(
                        "dial failed; backing off",
                        metadata: [
                            "mesh.address": "\(address)", "error": "\(error)", "backoff": "\(backoff)",
                        ])
                    state.withLock {
                        $0.dials[address] = .backoff(
                            until: .now() + .nanoseconds(backoff.nanoseconds), attempt: attempt + 1, lastError: error)
                    }
                    promise.fail(error)
                    throw error
                }
            }
        }
    }

    /// `connection` if it is to `peerName` (or no name is expected). A connection to the address that was
    /// dialled without a name, or by a caller expecting another one, may be to some other node: refused the
    /// way the handshake refuses it (`unauthenticated`, cause `CryptoError.peerNameMismatch`).
    private static func checked(
        _ connection: MeshConnection, at address: HostPort, peerName: String?
    ) throws(RPCError) -> MeshConnection {
        guard let peerName, connection.peer.name != peerName else { return connection }
        let reason = "\(address) is '\(connection.peer.name)', expected '\(peerName)'"
        throw RPCError(.unauthenticated, reason, cause: CryptoError(.peerNameMismatch, reason))
    }

    private func backoffDelay(attempt: Int) -> MeshDuration {
        let cap = min(
            Double(configuration.reconnectMaxBackoff.nanoseconds),
            Double(configuration.reconnectInitialBackoff.nanoseconds) * pow(2, Double(min(attempt, 30)))
        )
        return .nanoseconds(Int64(Double.random(in: 0...cap)))
    }

    /// Calls a typed method on the peer at `address`, over the shared connection.
    public func call<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        _ request: Req,
        at address: HostPort,
        options: CallOptions = .default
    ) async throws(RPCError) -> Resp {
        var deadline = options.timeout.map { SystemClock().now() + $0 }
        if let inherited = CallScope.deadline { deadline = min(deadline ?? inherited, inherited) }  // nested call
        let connection = try await connection(to: address, deadline: deadline, waitForReady: options.waitForReady)
        return try await connection.call(descriptor, request, options: options)
    }

    /// Established connections, inbound and outbound.
    public var connections: [MeshConnection] { state.withLock { Array($0.connections.values) } }

    // MARK: Shutdown

    /// Stops accepting, sends goAway on every connection, lets in-flight calls finish (up to the
    /// configured grace), then closes everything. New calls fail with `unavailable`.
    public func shutdown() async {
        let (listener, connections) = state.withLock { state -> ((any Channel)?, [MeshConnection]) in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        try? await listener?.close()
        let grace = configuration.shutdownGrace
        await withDiscardingTaskGroup { group in
            for c in connections { group.addTask { await c.close(grace: grace) } }
        }
        logger.info("transport stopped")
    }
}
