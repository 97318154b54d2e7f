import Foundation
import Logging
import MeshCore
import MeshCrypto
import MeshMembership
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A running Mesh node: its transport, its services and the admin methods, run as a
/// ServiceLifecycle `Service` so SIGTERM drains calls before the process exits.
///
/// Sendable: mutable state is in `state` (a `Mutex`); the rest is immutable.
public final class MeshNodeRuntime: Service, Sendable {
    public let configuration: NodeConfiguration
    public let transport: MeshTransport
    public let identity: NodeIdentity
    /// Routes calls to the members hosting a service, through per-peer breakers.
    public let peers: PeerRouter
    /// Gossip membership (SWIM): who is in the cluster, where, and hosting what.
    public let membership: MembershipShell
    /// The service instances this node hosts (`NodeConfiguration.services`), and what they share.
    public let hosted: [any HostedServiceInstance]
    public let hosting: HostingContext
    let logger: Logger
    private let startedAt = SystemClock().now()
    private let state = Mutex(State())

    private struct State {
        var boundAddress: HostPort?
        var boundWaiters: [CheckedContinuation<HostPort, Never>] = []
        /// Set when a graceful shutdown begins: the node takes no new work (`/readyz` fails `draining`).
        var draining = false
        var readinessChecks: [ReadinessCheck] = []
        var drainHooks: [@Sendable () async -> Void] = []
    }

    /// Builds the node. `services` are the application's handlers; admin methods are added here.
    public init(
        configuration: NodeConfiguration,
        services: ServiceRouter = ServiceRouter(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        hostedServices: HostedServices = .builtIn,
        logger: Logger,
        onListening: @escaping @Sendable (HostPort) -> Void = { _ in },
        onConnectionEvent: @escaping @Sendable (ConnectionEvent) -> Void = { _ in }
    ) throws {
        self.onListening = onListening
        self.configuration = configuration
        var nodeLogger = logger
        nodeLogger[metadataKey: "mesh.node"] = "\(configuration.name)"
        let logger = nodeLogger
        self.logger = logger
        let identity = try IdentityLoader.load(
            configuration.identity, name: configuration.name, roles: configuration.roles)
        self.identity = identity
        if case .development = configuration.identity {
            logger.warning(
                "using the built-in development CA: any node can join this cluster; do not use in production")
        }
        var router = services
        // Binds each served call's trace (`CallScope.trace`), so every log line of a call can carry its trace id.
        router.use(TracingMiddleware())
        let box = RuntimeBox()
        router.registerInline(AdminService.ping) { request, context in
            try AdminService.authorize(context)
            return request
        }
        router.register(AdminService.info) { _, context in
            try AdminService.authorize(context)
            guard let runtime = box.runtime else { throw RPCError(.unavailable, "node is starting") }
            return runtime.info()
        }
        router.register(AdminService.breakers) { _, context in
            try AdminService.authorize(context)
            guard let runtime = box.runtime else { throw RPCError(.unavailable, "node is starting") }
            return BreakersReport(node: configuration.name, peers: runtime.peers.statuses())
        }
        router.register(AdminService.members) { _, context in
            try AdminService.authorize(context)
            guard let runtime = box.runtime else { throw RPCError(.unavailable, "node is starting") }
            return runtime.membership.report()
        }
        router.registerInline(MembershipMethods.message) { message, context in
            box.runtime?.membership.receive(
                message, fromPeer: context.peerName,
                senderAddress: context.metadata[MembershipShell.senderAddressKey])
            return RawMessage([])
        }
        hosted = try hostedServices.makeHosts(
            configuration.services, node: configuration.name, dataDirectory: configuration.dataDirectory,
            configuration: configuration.hosting, logger: logger)
        for host in hosted { host.install(into: &router) }
        if configuration.testEcho {
            logger.warning("serving the test/Echo fault-injection service (--test-echo)")
            TestEchoService.register(on: &router)
        }
        transport = MeshTransport(
            identity: identity,
            router: router,
            configuration: configuration.transport,
            group: group,
            logger: logger,
            onEvent: { event in
                switch event {
                case .established(let peer, let address, let inbound):
                    logger.info(
                        "peer connected",
                        metadata: [
                            "mesh.peer": "\(peer)", "mesh.remote": "\(address)", "mesh.inbound": "\(inbound)",
                        ])
                case .closed(let peer, let address, _, let error?):
                    logger.info(
                        "peer connection closed",
                        metadata: [
                            "mesh.peer": "\(peer ?? "?")", "mesh.remote": "\(address)", "reason": "\(error)",
                        ])
                case .closed:
                    break
                }
                onConnectionEvent(event)
            }
        )
        self.router = router
        peers = try PeerRouter(
            transport: transport, routes: configuration.peers, configuration: configuration.routing, logger: logger)
        membership = MembershipShell(transport: transport, peers: peers, logger: logger)
        peers.use(directory: membership)
        hosting = HostingContext(transport: transport, membership: membership, registry: hostedServices)
        box.runtime = self
    }

    private let router: ServiceRouter
    private let onListening: @Sendable (HostPort) -> Void

    /// The address the node listens on, once it does.
    public func boundAddress() async -> HostPort {
        await withCheckedContinuation { c in
            let ready: HostPort? = state.withLock { s in
                if let b = s.boundAddress { return b }
                s.boundWaiters.append(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    // MARK: Readiness and drain

    /// Adds a condition `/readyz` waits for (a hosted service's log recovered, its dependencies reachable).
    public func addReadinessCheck(_ check: ReadinessCheck) {
        state.withLock { $0.readinessChecks.append(check) }
    }

    /// Adds work to run once a graceful shutdown has drained the calls (flush and close a hosted service's log),
    /// before `run` returns. Hooks run one after the other, in the order they were added.
    public func addDrainHook(_ hook: @escaping @Sendable () async -> Void) {
        state.withLock { $0.drainHooks.append(hook) }
    }

    /// Whether the node should take traffic: `listener` (bound), `membership` (joined: another member is alive,
    /// or the node is its own only seed), `draining` (no graceful shutdown under way), then the added checks.
    public func readiness() async -> ReadinessReport {
        let (bound, draining, added) = state.withLock { ($0.boundAddress, $0.draining, $0.readinessChecks) }
        var entries: [ReadinessReport.Entry] = [
            .init(name: "listener", status: bound == nil ? .notReady("not listening yet") : .ready),
            .init(name: "membership", status: membershipReadiness(bound: bound)),
            .init(name: "draining", status: draining ? .notReady("shutting down: taking no new work") : .ready),
        ]
        for check in added { entries.append(.init(name: check.name, status: await check.evaluate())) }
        return ReadinessReport(entries: entries)
    }

    private func membershipReadiness(bound: HostPort?) -> ReadinessCheck.Status {
        let others = configuration.seeds.filter { $0 != bound && $0 != configuration.listen }
        if others.isEmpty { return .ready }  // its own only seed (or no seed): it starts the cluster
        let report = membership.report()
        let alive = report.members.filter { $0.name != configuration.name && $0.status == "alive" }.count
        return alive > 0 ? .ready : .notReady("no other member is alive yet (seeds \(others))")
    }

    /// What `meshprobe info` shows.
    public func info() -> NodeInfo {
        NodeInfo(
            name: configuration.name,
            version: MeshCoreInfo.version,
            roles: identity.roles,
            listenAddress: state.withLock { $0.boundAddress?.description ?? "" },
            uptimeSeconds: UInt64(max(0, (SystemClock().now() - startedAt).seconds)),
            services: router.services,
            connections: transport.connections.map {
                ConnectionInfo(peer: $0.peer.name, remoteAddress: $0.remoteAddress, inbound: $0.isInbound)
            }.sorted { ($0.peer, $0.remoteAddress) < ($1.peer, $1.remoteAddress) }
        )
    }

    /// Listens, dials the seeds, and serves until a graceful shutdown (SIGTERM) or cancellation.
    public func run() async throws {
        let bound = try await transport.listen(on: configuration.listen)
        let waiters = state.withLock { s in
            s.boundAddress = bound
            defer { s.boundWaiters = [] }
            return s.boundWaiters
        }
        for w in waiters { w.resume(returning: bound) }
        logger.info("node started", metadata: ["mesh.listen": "\(bound)", "mesh.seeds": "\(configuration.seeds)"])
        onListening(bound)
        let myself = memberMetadata(bound: bound)
        let seeds = configuration.seeds.filter { $0 != bound && $0 != configuration.listen }
        let options = configuration.membership
        do {
            // Membership runs until the graceful shutdown (which first announces the leave) or fails to start.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await self.membership.run(
                        myself: myself, seeds: seeds, incarnation: Self.bootIncarnation(), configuration: options.swim,
                        seedResolveInterval: options.seedResolveInterval)
                }
                group.addTask {
                    try? await gracefulShutdown()
                    self.state.withLock { $0.draining = true }
                    self.logger.info("graceful shutdown: leaving the cluster, then draining calls")
                    await self.membership.leave()
                }
                if !self.hosted.isEmpty { group.addTask { try await self.runHostedServices() } }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.error("membership could not start; stopping", metadata: ["reason": "\(error)"])
            await transport.shutdown()
            throw error
        }
        logger.info("node stopping: draining calls")
        await transport.shutdown()
        for hook in state.withLock({ $0.drainHooks }) { await hook() }
        logger.info("node stopped")
    }

    /// What this node advertises to the cluster: its name, reachable address, application services
    /// (`mesh.*` excluded), build version, tags and public key.
    func memberMetadata(bound: HostPort) -> MemberMetadata {
        let wildcard = ["0.0.0.0", "::", ""].contains(bound.host)
        let advertised = configuration.membership.advertise ?? bound
        if wildcard && configuration.membership.advertise == nil {
            logger.warning(
                "listening on a wildcard address without --advertise: other members cannot reach this node",
                metadata: ["mesh.listen": "\(bound)"])
        }
        return MemberMetadata(
            name: configuration.name, rpcAddress: advertised.description,
            services: hostedAdvertisement.services, subscriptions: hostedAdvertisement.subscriptions,
            buildVersion: MeshCoreInfo.version, tags: hostedAdvertisement.tags, publicKey: identity.keyPair.publicKey)
    }

    /// A restart with the same name must out-rank what the cluster remembers: milliseconds since the epoch.
    static func bootIncarnation() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1_000))
    }
}

/// Lets the admin handler reach the runtime that owns the router it was registered in.
/// Sendable: the one mutable field is written once, before the node serves, under a Mutex.
private final class RuntimeBox: Sendable {
    /// Weak: the runtime owns the router that holds this box, so a strong reference would be a cycle.
    private struct Reference { weak var runtime: MeshNodeRuntime? }
    private let value = Mutex(Reference())
    var runtime: MeshNodeRuntime? {
        get { value.withLock { $0.runtime } }
        set { value.withLock { $0.runtime = newValue } }
    }
}
