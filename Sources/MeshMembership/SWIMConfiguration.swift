import Foundation
import MeshCore

/// Tunables of the SWIM + Lifeguard core. Defaults target a LAN with a 1 s probe interval.
public struct SWIMConfiguration: Hashable, Sendable {
    /// Time between probes of successive members (scaled by local health).
    public var probeInterval: MeshDuration = .milliseconds(1_000)
    /// Time to wait for a direct ack before asking others to probe (scaled by local health).
    public var probeTimeout: MeshDuration = .milliseconds(500)
    /// Members asked to probe indirectly (SWIM's k).
    public var indirectProbes = 3
    /// Lifeguard suspicion: min = max(suspicionMinimum, alpha · log10(N) · probeInterval), max = beta · min.
    public var suspicionAlpha = 1.0
    public var suspicionBeta = 3.0
    public var suspicionMinimum: MeshDuration = .milliseconds(2_000)
    /// Independent confirmations that pull a suspicion timeout from max down to min (Lifeguard's K).
    public var suspicionConfirmations = 3
    /// A node that hears of a suspicion re-probes the suspect next with probability
    /// min(1, confirmationProbeFactor · K / N), so independent confirmations arrive within a period.
    public var confirmationProbeFactor = 2.0
    /// Each update is retransmitted retransmitMult · ceil(log10(N + 1)) times.
    public var retransmitMult = 4
    public var gossipInterval: MeshDuration = .milliseconds(200)
    public var gossipFanout = 3
    /// When news arrives, the next gossip round is pulled in to at most this delay (nil: never).
    public var eagerGossipDelay: MeshDuration? = .milliseconds(20)
    /// Digest anti-entropy with one random live member every interval (a root-only offer: about 20 bytes
    /// while the views agree, so the interval need not grow with N).
    public var antiEntropyInterval: MeshDuration = .milliseconds(10_000)
    /// Every interval a node offers its digest to one random seed address, so halves of a cluster that have
    /// forgotten each other (partition longer than `deadRetention`) find each other again.
    public var seedSyncInterval: MeshDuration = .milliseconds(10_000)
    /// How often a node pings one random dead member; an answer triggers a push-pull with it, which
    /// is how the halves of a healed partition find each other.
    public var reconnectInterval: MeshDuration = .milliseconds(2_000)
    /// Local health multiplier bound: timeouts are stretched by at most this factor.
    public var maxLocalHealth = 8
    /// Dead and left members are kept this long (to refute, heal partitions), then reaped.
    public var deadRetention: MeshDuration = .milliseconds(120_000)
    /// Upper bound on a gossip-carrying packet; piggybacked updates fill what is left.
    public var maxPacketBytes = 65_536
    /// Upper bound on one member's encoded metadata (at least 4 KiB, at most 64 KiB).
    public var maxMetadataBytes = 4_096

    public init() {}

    /// Throws `invalidConfiguration` when a value is out of range.
    public func validate() throws(MembershipError) {
        func check(_ ok: Bool, _ what: String) throws(MembershipError) {
            guard ok else { throw MembershipError(.invalidConfiguration, what) }
        }
        try check(probeInterval > .zero && probeTimeout > .zero, "probe interval and timeout must be positive")
        try check(probeTimeout < probeInterval, "probe timeout must be shorter than the probe interval")
        try check(indirectProbes >= 0 && gossipFanout >= 1, "indirectProbes ≥ 0 and gossipFanout ≥ 1")
        try check(suspicionAlpha > 0 && suspicionBeta >= 1, "suspicionAlpha > 0 and suspicionBeta ≥ 1")
        try check(suspicionConfirmations >= 0 && retransmitMult >= 1, "confirmations ≥ 0, retransmitMult ≥ 1")
        try check(
            gossipInterval > .zero && antiEntropyInterval > .zero && reconnectInterval > .zero
                && seedSyncInterval > .zero,
            "gossip, anti-entropy, seed sync and reconnect intervals must be positive")
        try check(maxLocalHealth >= 1, "maxLocalHealth must be at least 1")
        try check((4_096...65_536).contains(maxMetadataBytes), "maxMetadataBytes must be within 4 KiB...64 KiB")
        try check(
            maxPacketBytes >= maxMetadataBytes + 1_024,
            "maxPacketBytes must leave 1 KiB beyond maxMetadataBytes (one alive statement and a digest)")
    }

    /// Lifeguard's (min, max) suspicion timeouts for a cluster of `n` members.
    public func suspicionTimeouts(clusterSize n: Int) -> (min: MeshDuration, max: MeshDuration) {
        let scaled = probeInterval * (suspicionAlpha * Swift.max(1.0, log10(Double(Swift.max(1, n)))))
        let low = Swift.max(suspicionMinimum, scaled)
        return (low, low * suspicionBeta)
    }

    /// How many times each update is sent before it leaves the queue.
    public func retransmitLimit(clusterSize n: Int) -> Int {
        retransmitMult * Int(ceil(log10(Double(n + 1))))
    }
}
