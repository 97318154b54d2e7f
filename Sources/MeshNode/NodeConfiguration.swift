import MeshCore
import MeshTransport

/// Everything `meshnode run` needs to start a node.
public struct NodeConfiguration: Sendable {
    /// The node's stable name (`inventory-1`); it must match the name in its certificate.
    public var name: String
    /// Address to accept peers on.
    public var listen: HostPort
    /// Addresses (or DNS names) of nodes to join through. A node that is its own only seed starts a cluster.
    public var seeds: [HostPort]
    /// Directory for the node's durable state (event logs, cursors).
    public var dataDirectory: String
    /// Where the node's identity comes from.
    public var identity: IdentitySource
    /// Roles this node serves (certificate roles when the development CA issues its certificate).
    public var roles: [String]
    public var transport: TransportConfiguration
    /// Which peers host which service (static, until gossip membership provides candidates).
    public var peers: ServiceRoutes
    /// How calls through `MeshNodeRuntime.peers` pick and protect peers.
    public var routing: RoutingConfiguration
    /// Serve `TestEchoService` (fault injection for resilience tests; off by default).
    public var testEcho: Bool
    /// Gossip membership: SWIM timers, advertised address, tags.
    public var membership: MembershipOptions
    /// Hosted services, `--services` entries `NAME[:INSTANCES[/PARTITIONS]]` (see `HostedServices.placement`).
    public var services: [String] = []
    /// Snapshot, due and relay tunables of every hosted service.
    public var hosting = ServiceHostConfiguration()

    public init(
        name: String,
        listen: HostPort,
        seeds: [HostPort] = [],
        dataDirectory: String,
        identity: IdentitySource = .development,
        roles: [String] = [],
        transport: TransportConfiguration = .init(),
        peers: ServiceRoutes = ServiceRoutes(),
        routing: RoutingConfiguration = RoutingConfiguration(),
        testEcho: Bool = false,
        membership: MembershipOptions = MembershipOptions()
    ) {
        self.name = name
        self.listen = listen
        self.seeds = seeds
        self.dataDirectory = dataDirectory
        self.identity = identity
        self.roles = roles
        self.transport = transport
        self.peers = peers
        self.routing = routing
        self.testEcho = testEcho
        self.membership = membership
    }
}

/// Where a node's key, certificate and cluster trust come from.
public enum IdentitySource: Sendable {
    /// The built-in development CA issues a fresh certificate at start-up. For local use only:
    /// its key is public, so anyone can join such a cluster.
    case development
    /// Files written by `meshnode ca create` and `meshnode cert issue`.
    case files(trust: String, certificate: String, key: String)
}
