import Logging
import MeshCore
import MeshCrypto
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
    private let logger: Logger
    private let startedAt = SystemClock().now()
    private let state = Mutex(State())

    private struct State {
        var boundAddress: HostPort?
        var boundWaiters: [CheckedContinuation<HostPort, Never>] = []
    }

    /// Builds the node. `services` are the application's handlers; admin methods are added here.
    public init(
        configuration: NodeConfiguration,
        services: ServiceRouter = ServiceRouter(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
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
        let identity = try IdentityLoader.load(configuration.identity, name: configuration.name, roles: configuration.roles)
        self.identity = identity
        if case .development = configuration.identity {
            logger.warning("using the built-in development CA: any node can join this cluster; do not use in production")
        }
        var router = services
        let box = RuntimeBox()
        router.registerInline(AdminService.ping) { request, _ in request }
        router.register(AdminService.info) { _, _ in
            guard let runtime = box.runtime else { throw RPCError(.unavailable, "node is starting") }
            return runtime.info()
        }
        router.register(AdminService.breakers) { _, _ in
            guard let runtime = box.runtime else { throw RPCError(.unavailable, "node is starting") }
            return BreakersReport(node: configuration.name, peers: runtime.peers.statuses())
        }
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
                    logger.info("peer connected", metadata: [
                        "mesh.peer": "\(peer)", "mesh.remote": "\(address)", "mesh.inbound": "\(inbound)",
                    ])
                case .closed(let peer, let address, _, let error?):
                    logger.info("peer connection closed", metadata: [
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
        await withDiscardingTaskGroup { group in
            group.addTask { await self.keepSeedsConnected(self: bound) }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        logger.info("node stopping: draining calls")
        await transport.shutdown()
        logger.info("node stopped")
    }

    /// Until gossip membership takes over, a node keeps a connection to each of its seeds.
    private func keepSeedsConnected(self bound: HostPort) async {
        let seeds = configuration.seeds.filter { $0 != bound && $0 != configuration.listen }
        guard !seeds.isEmpty else { return }
        while !Task.isCancelled {
            for seed in seeds {
                do {
                    _ = try await transport.connection(to: seed, deadline: SystemClock().now() + .seconds(1))
                } catch {
                    logger.debug("seed not reachable yet", metadata: ["mesh.seed": "\(seed)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// Lets the admin handler reach the runtime that owns the router it was registered in.
/// Sendable: the one mutable field is written once, before the node serves, under a Mutex.
private final class RuntimeBox: Sendable {
    private let value = Mutex<MeshNodeRuntime?>(nil)
    var runtime: MeshNodeRuntime? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
