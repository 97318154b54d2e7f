import MeshCore

/// What the router knows about one candidate peer for a call.
public struct PeerLoad: Hashable, Sendable {
    public var id: String
    /// Calls sent to the peer and not yet answered.
    public var outstanding: Int
    /// The peer's recent latency (`LatencyEWMA.estimate`).
    public var ewmaLatency: MeshDuration
    /// False when the peer must not be called at all: its breaker is open or forced open, or membership
    /// suspects it or declared it dead (treated as unavailable at once, without waiting for failures).
    public var available: Bool

    public init(id: String, outstanding: Int, ewmaLatency: MeshDuration, available: Bool) {
        self.id = id
        self.outstanding = outstanding
        self.ewmaLatency = ewmaLatency
        self.available = available
    }

    /// The load-balancing cost: `(outstanding + 1) · latency`, latency floored at 1 ns so that load still counts
    /// for peers with no latency estimate yet.
    public var cost: Double { Double(Swift.max(outstanding, 0) + 1) * Double(Swift.max(ewmaLatency.nanoseconds, 1)) }
}

/// Picks the peer for a call among the members hosting a service: power of two choices.
///
/// Two distinct available candidates are drawn at random and the cheaper one (`PeerLoad.cost`) wins; a tie goes
/// to the first drawn, so equal peers share calls evenly. Unavailable candidates are never picked. This avoids
/// the herding of "always the least loaded" while still steering away from slow or busy peers.
///
/// Calls keyed to a partition owner do not come here: they go to the owner only, and queue or fail fast
/// according to the owner's breaker (`CircuitBreaker.tryAcquire`'s rejection carries `retryAfter`).
public struct PeerPicker: Hashable, Sendable {
    public init() {}

    /// The chosen peer's id, or nil when no candidate is available.
    public func pick(_ candidates: [PeerLoad], using rng: inout some RandomNumberGenerator) -> String? {
        let available = candidates.filter(\.available)
        switch available.count {
        case 0: return nil
        case 1: return available[0].id
        default:
            let first = Int.random(in: 0..<available.count, using: &rng)
            var second = Int.random(in: 0..<(available.count - 1), using: &rng)
            if second >= first { second += 1 }
            let a = available[first]
            let b = available[second]
            return b.cost < a.cost ? b.id : a.id
        }
    }
}
