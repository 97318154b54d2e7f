import MeshCore

/// All breakers of one node, keyed by peer (and peer+service), created closed on first use.
///
/// It also carries membership's verdicts: a peer suspected or declared dead is forced open at once, in every
/// breaker of that peer, including breakers created while the verdict stands; a peer seen alive again has its
/// *forced* breakers reset (a breaker opened by failures keeps its own course). Like `CircuitBreaker`, a value
/// that the shell guards.
public struct BreakerSet: Sendable {
    /// A transition of one breaker in the set.
    public struct Transition: Hashable, Sendable {
        public var key: BreakerKey
        public var transition: BreakerTransition
    }

    public let configuration: CircuitBreaker.Configuration
    private var breakers = RecentKeyTable<BreakerKey, CircuitBreaker>()
    /// Peers membership holds unavailable, with the reason.
    private var unavailablePeers: [String: String] = [:]

    public init(configuration: CircuitBreaker.Configuration = .default) throws(ResilienceConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// The breaker's state; a breaker not created yet is closed, or forced open if its peer is unavailable.
    public func state(_ key: BreakerKey) -> CircuitBreaker.State {
        if let breaker = breakers[key] { return breaker.state }
        return unavailablePeers[key.peer].map { .forcedOpen(reason: $0) } ?? .closed
    }

    /// Whether the router may pick the peer at all: membership does not hold it unavailable and its peer-wide
    /// breaker is closed or half-open (half-open admits its trials; the permit decides).
    public func isAvailable(peer: String) -> Bool {
        switch state(BreakerKey(peer: peer)) {
        case .closed, .halfOpen: true
        case .open, .forcedOpen: false
        }
    }

    public func snapshot(_ key: BreakerKey, now: MeshInstant) -> BreakerSnapshot? {
        breakers[key]?.snapshot(now: now)
    }

    /// The keys of every breaker created so far.
    public var keys: [BreakerKey] { breakers.allKeys }

    public mutating func tryAcquire(_ key: BreakerKey, now: MeshInstant) -> Result<BreakerPermit, BreakerRejection> {
        withBreaker(key, now: now) { $0.tryAcquire(now: now) }
    }

    public mutating func record(
        _ key: BreakerKey, _ permit: BreakerPermit, outcome: CallOutcome, now: MeshInstant
    ) -> [Transition] {
        guard let transitions = breakers.modify(key, { $0.record(permit, outcome: outcome, now: now) }) else {
            return []
        }
        return transitions.isEmpty ? [] : keyed(key, transitions)
    }

    public mutating func release(_ key: BreakerKey, _ permit: BreakerPermit, now: MeshInstant) -> [Transition] {
        keyed(key, breakers.modify(key) { $0.release(permit, now: now) } ?? [])
    }

    /// Ticks every breaker (in key order, so the result is deterministic).
    public mutating func tick(now: MeshInstant) -> [Transition] {
        sortedKeys(where: { _ in true }).flatMap { key in
            keyed(key, withBreaker(key, now: now) { $0.tick(now: now) })
        }
    }

    /// Membership suspects the peer or declared it dead: force every breaker of the peer open.
    public mutating func markUnavailable(peer: String, reason: String, now: MeshInstant) -> [Transition] {
        unavailablePeers[peer] = reason
        return sortedKeys(where: { $0.peer == peer }).flatMap { key in
            keyed(key, withBreaker(key, now: now) { $0.forceOpen(reason: reason, now: now) })
        }
    }

    /// Membership sees the peer alive: reset the breakers of the peer that were forced open.
    public mutating func markAvailable(peer: String, now: MeshInstant) -> [Transition] {
        unavailablePeers[peer] = nil
        return sortedKeys(where: { $0.peer == peer }).flatMap { key -> [Transition] in
            guard case .forcedOpen = breakers[key]?.state else { return [] }
            return keyed(key, withBreaker(key, now: now) { $0.reset(reason: "peer alive again", now: now) })
        }
    }

    /// Forgets the peer's breakers (it left the cluster for good).
    public mutating func remove(peer: String) {
        unavailablePeers[peer] = nil
        breakers.removeAll { $0.peer == peer }
    }

    private func sortedKeys(where include: (BreakerKey) -> Bool) -> [BreakerKey] {
        breakers.allKeys.filter(include).sorted { ($0.peer, $0.service ?? "") < ($1.peer, $1.service ?? "") }
    }

    private func keyed(_ key: BreakerKey, _ transitions: [BreakerTransition]) -> [Transition] {
        transitions.map { Transition(key: key, transition: $0) }
    }

    /// Runs `body` on the key's breaker, creating it first (forced open if its peer is unavailable; that initial
    /// forcing is not reported, as the breaker was never seen closed).
    /// The breaker is mutated in place (no copy of its state).
    private mutating func withBreaker<R>(
        _ key: BreakerKey, now: MeshInstant, _ body: (inout CircuitBreaker) -> R
    ) -> R {
        if let result = breakers.modify(key, body) { return result }
        var breaker = CircuitBreaker(validated: configuration, now: now)
        if let reason = unavailablePeers[key.peer] { _ = breaker.forceOpen(reason: reason, now: now) }
        let result = body(&breaker)
        breakers.insert(key, breaker)
        return result
    }
}
