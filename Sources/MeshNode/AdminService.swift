import MeshCore
import MeshRPC
import MeshWire

/// Operator-facing methods every node serves (used by `meshprobe`; proto-spec/node-methods.md).
///
/// Who may call them is `authorization`: `Ping` any authenticated member of the cluster, every other method only
/// a caller whose certificate holds the `operator` role. Each handler checks it with `authorize` before it runs.
public enum AdminService {
    /// The certificate role that admits a caller to the admin methods other than `Ping`.
    public static let operatorRole = "operator"

    /// `mesh.admin/*` needs `operatorRole`, except `Ping` (a latency probe any peer may send). Methods of other
    /// services are not matched (the policy only speaks for `mesh.admin`).
    public static let authorization: AuthorizationPolicy = {
        var policy = AuthorizationPolicy(allowsUnmatched: true)
        policy.requireRoles([operatorRole], for: "mesh.admin/*")
        policy.requireRoles([AuthorizationPolicy.anyCaller], for: ping.path)
        return policy
    }()

    /// Refuses the call with `permissionDenied` unless `authorization` admits its caller's certificate roles.
    public static func authorize(_ context: ServerContext) throws(RPCError) {
        if let refusal = authorization.check(method: context.method, peer: context.peerName, roles: context.peerRoles) {
            throw refusal
        }
    }

    /// Returns `NodeInfo`.
    public static let info = MethodDescriptor<RawMessage, NodeInfo>(service: "mesh.admin", method: "Info")
    /// Echoes its request; served inline on the event loop (a latency probe).
    public static let ping = MethodDescriptor<RawMessage, RawMessage>(service: "mesh.admin", method: "Ping")
    /// Returns `BreakersReport`: the node's per-peer breakers (state, since, reason, rates, rejections).
    public static let breakers = MethodDescriptor<RawMessage, BreakersReport>(service: "mesh.admin", method: "Breakers")
    /// Returns `MembersReport`: every member the node knows (itself included) with status and incarnation.
    public static let members = MethodDescriptor<RawMessage, MembersReport>(service: "mesh.admin", method: "Members")
}

/// One connection as `meshprobe info` shows it.
public struct ConnectionInfo: WireMessage, Hashable {
    public var peer: String
    public var remoteAddress: String
    public var inbound: Bool

    public init(peer: String, remoteAddress: String, inbound: Bool) {
        self.peer = peer
        self.remoteAddress = remoteAddress
        self.inbound = inbound
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        peer = ""
        remoteAddress = ""
        inbound = false
        while let f = try r.next() {
            switch f.number {
            case 1: peer = try f.string()
            case 2: remoteAddress = try f.string()
            case 3: inbound = try f.bool()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, peer)
        w.string(2, remoteAddress)
        if inbound { w.bool(3, true) }
    }
}

/// What a node says about itself.
public struct NodeInfo: WireMessage, Hashable {
    public var name: String
    public var version: String
    public var roles: [String]
    public var listenAddress: String
    public var uptimeSeconds: UInt64
    public var services: [String]
    public var connections: [ConnectionInfo]

    public init(
        name: String, version: String, roles: [String], listenAddress: String, uptimeSeconds: UInt64,
        services: [String], connections: [ConnectionInfo]
    ) {
        self.name = name
        self.version = version
        self.roles = roles
        self.listenAddress = listenAddress
        self.uptimeSeconds = uptimeSeconds
        self.services = services
        self.connections = connections
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        self.init(name: "", version: "", roles: [], listenAddress: "", uptimeSeconds: 0, services: [], connections: [])
        while let f = try r.next() {
            switch f.number {
            case 1: name = try f.string()
            case 2: version = try f.string()
            case 3: roles.append(try f.string())
            case 4: listenAddress = try f.string()
            case 5: uptimeSeconds = try f.uint()
            case 6: services.append(try f.string())
            case 7: connections.append(try f.message(ConnectionInfo.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, name)
        w.string(2, version)
        for r in roles { w.string(3, r) }
        w.string(4, listenAddress)
        w.uint(5, uptimeSeconds)
        for s in services { w.string(6, s) }
        for c in connections { w.message(7, c) }
    }
}
