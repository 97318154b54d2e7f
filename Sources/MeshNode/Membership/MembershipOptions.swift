import MeshCore
import MeshMembership
import MeshTransport

/// How a node takes part in gossip membership.
public struct MembershipOptions: Sendable {
    /// SWIM + Lifeguard timers and limits.
    public var swim: SWIMConfiguration
    /// The address other members reach this node at; nil: the bound listen address (which must then not be a
    /// wildcard such as 0.0.0.0).
    public var advertise: HostPort?
    /// Free-form labels advertised in the member metadata (`--tag k=v`).
    public var tags: [String: String]
    /// How often seed names are resolved again (the instance offers its digest to a random seed now and then).
    public var seedResolveInterval: MeshDuration

    public init(
        swim: SWIMConfiguration = SWIMConfiguration(), advertise: HostPort? = nil, tags: [String: String] = [:],
        seedResolveInterval: MeshDuration = .seconds(5)
    ) {
        self.swim = swim
        self.advertise = advertise
        self.tags = tags
        self.seedResolveInterval = seedResolveInterval
    }

    /// A SWIM configuration scaled from one probe interval (the hidden `--probe-interval-ms` flag): the probe
    /// timeout is half of it, suspicion lasts at least 5 intervals, dead members are pinged every 5 intervals
    /// and digests are exchanged (with a member and with a seed) every 10.
    public static func scaled(
        probeIntervalMilliseconds p: Int64, gossipIntervalMilliseconds g: Int64?
    ) -> SWIMConfiguration {
        var c = SWIMConfiguration()
        c.probeInterval = .milliseconds(p)
        c.probeTimeout = .milliseconds(max(1, p / 2))
        c.suspicionMinimum = .milliseconds(p * 5)
        c.reconnectInterval = .milliseconds(p * 5)
        c.antiEntropyInterval = .milliseconds(p * 10)
        c.seedSyncInterval = .milliseconds(p * 10)
        if let g { c.gossipInterval = .milliseconds(g) }
        return c
    }
}
