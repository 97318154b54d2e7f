import Logging
import MeshCore
import MeshRPC
import MeshResilience
import MeshTransport
import Metrics
import Synchronization

/// Sends calls to the members hosting a service, through per-peer circuit breakers.
///
/// A service call picks among the service's candidates by power of two choices on outstanding calls and recent
/// latency, skipping peers whose breaker is open or that membership holds unavailable; timeouts, unavailability,
/// overload and server faults count against the peer, a caller's own bad request does not, cancellation only
/// returns the permit. A failed or refused idempotent query may try another peer within the same deadline.
/// A call keyed to a partition owner goes to that owner only and fails fast (`unavailable`, the breaker's
/// `BreakerRejection` with its `retryAfter` as the cause) or queues, by `OwnerWaitPolicy`.
///
/// Sendable: the routing state is a value in a `Mutex`; everything else is immutable.
public final class PeerRouter: Sendable {
    public let routes: ServiceRoutes
    public let configuration: RoutingConfiguration
    private let transport: MeshTransport
    private let clock: any MeshClock
    private let reporter: BreakerReporter
    private let state: Mutex<Core>
    private let directory = Mutex<(any PeerDirectory)?>(nil)
    /// Peers learnt from the directory, so the operator's view lists their breakers too.
    private let discovered = Mutex<Set<String>>([])

    private struct Core {
        var routing: PeerRoutingState
        var rng: SeededRandom
        /// Turned-away counts already exported, per peer.
        var exportedRejections: [String: UInt64] = [:]
    }

    public init(
        transport: MeshTransport,
        routes: ServiceRoutes,
        configuration: RoutingConfiguration = RoutingConfiguration(),
        clock: any MeshClock = SystemClock(),
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(RoutingError) {
        self.transport = transport
        self.routes = routes
        self.configuration = configuration
        self.clock = clock
        self.reporter = BreakerReporter(logger: logger, factory: metrics)
        let routing = try PeerRoutingState(configuration: configuration)
        state = Mutex(Core(routing: routing, rng: SeededRandom(seed: configuration.seed)))
    }

    /// Adds gossip membership (or any directory) as a source of candidates: a service's candidates are its
    /// static routes plus the directory's alive members hosting it; owners are found the same way.
    public func use(directory: any PeerDirectory) {
        self.directory.withLock { $0 = directory }
    }

    private func candidates(for service: String) -> [PeerEndpoint] {
        var list = routes.candidates(for: service)
        guard let directory = directory.withLock({ $0 }) else { return list }
        let learnt = directory.endpoints(hosting: service).filter { e in !list.contains { $0.name == e.name } }
        if !learnt.isEmpty {
            list += learnt
            discovered.withLock { $0.formUnion(learnt.map(\.name)) }
        }
        return list
    }

    private func address(of name: String) -> HostPort? {
        routes.address(of: name) ?? directory.withLock({ $0 })?.address(of: name)
    }

    // MARK: Calls

    /// Calls `descriptor` on one member hosting its service.
    public func call<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>, _ request: Req, options: CallOptions = .default
    ) async throws(RPCError) -> Resp {
        try await routedCall(descriptor, request, options: options).response
    }

    /// Like `call`, also saying which peer answered and after how many attempts.
    public func routedCall<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>, _ request: Req, options: CallOptions = .default
    ) async throws(RPCError) -> RoutedReply<Resp> {
        let candidates = candidates(for: descriptor.service)
        let names = candidates.map(\.name)
        let deadline = options.timeout.map { clock.now() + $0 }
        let attempts = descriptor.kind.isIdempotent ? configuration.maxAttempts : 1
        var tried: Set<String> = []
        var lastError: RPCError?
        for attempt in 1...attempts {
            let now = clock.now()
            let choice = withState(touching: names) { core in
                core.routing.choose(among: names, excluding: tried, now: now, using: &core.rng)
            }
            let peer: String
            let permit: BreakerPermit?
            switch choice {
            case .send(let p, let granted):
                (peer, permit) = (p, granted)
            case .noPeer(let reason, let retryAfter):
                if let lastError { throw lastError }
                let after = retryAfter.map { " (retry after \($0))" } ?? ""
                throw RPCError(.unavailable, "\(descriptor.path): no available peer: \(reason)\(after)")
            }
            // `choose` only picks among `names`, which come from `candidates`.
            guard let address = candidates.first(where: { $0.name == peer })?.address else { break }
            do throws(RPCError) {
                let response = try await send(
                    descriptor, request, to: peer, at: address, permit: permit,
                    startedAt: now, deadline: deadline, options: options)
                return RoutedReply(response: response, peer: peer, attempts: attempt)
            } catch {
                guard case .failure = error.code.callOutcome, deadline.map({ clock.now() < $0 }) ?? true else {
                    throw error
                }
                tried.insert(peer)
                lastError = error
            }
        }
        throw lastError ?? RPCError(.unavailable, "\(descriptor.path): no attempt was made")
    }

    /// Calls `descriptor` on `owner` only (the partition owner of the call's key). With `.failFast` an open
    /// breaker fails the call at once; with `.queue` the call waits for the breaker within its deadline.
    public func call<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>, _ request: Req, owner: String,
        policy: OwnerWaitPolicy = .failFast, options: CallOptions = .default
    ) async throws(RPCError) -> Resp {
        guard let address = address(of: owner) else {
            throw RPCError(.unavailable, "\(descriptor.path): no route to owner \(owner)")
        }
        let start = clock.now()
        let deadline = start + (options.timeout ?? .seconds(3600))
        while true {
            let now = clock.now()
            let admission = withState(touching: [owner]) { core in
                core.routing.admitOwner(owner, now: now, deadline: deadline, policy: policy)
            }
            switch admission {
            case .send(let permit):
                return try await send(
                    descriptor, request, to: owner, at: address, permit: permit,
                    startedAt: now, deadline: options.timeout.map { _ in deadline },
                    options: options)
            case .fail(let rejection):
                throw RPCError(
                    .unavailable, "\(descriptor.path): owner \(owner) refused: \(rejection)",
                    cause: rejection)
            case .queue(let retryAfter):
                let wait = min(retryAfter ?? .milliseconds(50), deadline - now)
                do {
                    try await Task.sleep(for: .nanoseconds(max(wait.nanoseconds, 1_000_000)))
                } catch {
                    throw RPCError(.cancelled, "\(descriptor.path): cancelled while queued for owner \(owner)")
                }
            }
        }
    }

    // MARK: Membership hooks

    /// Membership suspects `peer` or declared it dead: no call goes there until `markAvailable`.
    public func markUnavailable(peer: String, reason: String = "suspected by membership") {
        let now = clock.now()
        withState(touching: [peer]) { core in ((), core.routing.markUnavailable(peer: peer, reason: reason, now: now)) }
    }

    /// Membership sees `peer` alive again.
    public func markAvailable(peer: String) {
        let now = clock.now()
        withState(touching: [peer]) { core in ((), core.routing.markAvailable(peer: peer, now: now)) }
    }

    // MARK: Observation

    /// Every routed peer's link, sorted by name (also refreshes the exported metrics).
    public func statuses() -> [PeerBreakerStatus] {
        let now = clock.now()
        let names = Array(Set(routes.peerNames).union(discovered.withLock { $0 })).sorted()
        return withState(touching: names) { core in
            let transitions = core.routing.tick(now: now)
            return (core.routing.statuses(of: names, now: now), transitions)
        }
    }

    // MARK: Internals

    private func send<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>, _ request: Req, to peer: String, at address: HostPort,
        permit: BreakerPermit?, startedAt: MeshInstant, deadline: MeshInstant?, options: CallOptions
    ) async throws(RPCError) -> Resp {
        var attemptOptions = options
        do throws(RPCError) {
            if let deadline {
                let left = deadline - clock.now()
                guard left > .zero else {
                    throw RPCError(.deadlineExceeded, "\(descriptor.path): deadline passed before calling \(peer)")
                }
                attemptOptions.timeout = left
            }
            let connection = try await connection(to: peer, at: address, deadline: deadline)
            let response = try await connection.call(descriptor, request, options: attemptOptions)
            finish(peer, permit, .success, startedAt)
            return response
        } catch {
            finish(peer, permit, error.code.callOutcome, startedAt)
            throw error
        }
    }

    /// An open connection to `peer`, or a new one dialled within `deadline` (a stopped peer can accept TCP and
    /// then never complete the handshake; the caller must not wait for the transport's handshake timeout).
    private func connection(
        to peer: String, at address: HostPort, deadline: MeshInstant?
    ) async throws(RPCError) -> MeshConnection {
        if let open = transport.connections.first(where: { $0.peer.name == peer && $0.isAvailable }) { return open }
        let transport = self.transport
        guard let deadline else { return try await transport.connection(to: address, peerName: peer) }
        return try await DeadlineRace.run(until: deadline, clock: clock, "connecting to \(peer) at \(address)") {
            () async throws(RPCError) -> MeshConnection in
            try await transport.connection(to: address, peerName: peer, deadline: deadline)
        }
    }

    private func finish(_ peer: String, _ permit: BreakerPermit?, _ outcome: CallOutcome, _ startedAt: MeshInstant) {
        let now = clock.now()
        withState(touching: [peer]) { core in
            ((), core.routing.finish(peer: peer, permit: permit, outcome: outcome, startedAt: startedAt, now: now))
        }
    }

    /// Runs `body` under the lock, then reports its transitions and the metrics of the peers it touched (and of
    /// those that changed state) outside it.
    private func withState<R>(touching peers: [String], _ body: (inout Core) -> (R, [BreakerSet.Transition])) -> R {
        let now = clock.now()
        let (transitions, result, exports) = state.withLock { core in
            let (result, transitions) = body(&core)
            var exports: [(PeerBreakerStatus, CircuitBreaker.State, UInt64)] = []
            for peer in Set(peers + transitions.map(\.key.peer)) {
                let status = core.routing.status(of: peer, now: now)
                let new = status.rejected - min(status.rejected, core.exportedRejections[status.peer] ?? 0)
                core.exportedRejections[status.peer] = status.rejected
                exports.append((status, core.routing.state(of: status.peer), new))
            }
            return (transitions, result, exports)
        }
        reporter.report(transitions)
        for (status, state, new) in exports { reporter.update(status, state: state, newRejections: new) }
        return result
    }
}
