import MeshCore
import MeshResilience

/// The routing decisions of a node, as a pure value (the `PeerRouter` shell guards it with a `Mutex` and does
/// the I/O): per-peer breakers, outstanding calls and latency, and the power-of-two-choices pick.
///
/// Invariants: every `.send` choice carrying a permit is handed back exactly once through `finish`; a peer's
/// `outstanding` counts the choices not yet finished; a peer whose breaker is open (or forced open by
/// membership) is never chosen; with breakers off, only membership's verdicts exclude a peer.
public struct PeerRoutingState: Sendable {
    /// Where one call goes.
    public enum Choice: Hashable, Sendable {
        /// Call `peer`, then `finish` with this permit (nil when breakers are off).
        case send(peer: String, permit: BreakerPermit?)
        /// No candidate may be called now; `retryAfter` is the soonest an open breaker admits a trial, if known.
        case noPeer(reason: String, retryAfter: MeshDuration?)
    }

    /// What to do with a call keyed to a partition owner.
    public enum OwnerAdmission: Hashable, Sendable {
        case send(permit: BreakerPermit?)
        /// Wait and ask again after this long (nil: on the next change), never past the call's deadline.
        case queue(retryAfter: MeshDuration?)
        case fail(BreakerRejection)
    }

    struct PeerStats: Sendable {
        var outstanding = 0
        var latency: LatencyEWMA
        var calls: UInt64 = 0
        var failures: UInt64 = 0
        /// Calls that skipped this peer because its breaker was open, plus the breaker's own refusals.
        var turnedAway: UInt64 = 0
    }

    public let breakersEnabled: Bool
    private var breakers: BreakerSet
    private var failoverBudget: RetryBudget
    private var stats: [String: PeerStats] = [:]
    private let latencyDecay: MeshDuration
    private let picker = PeerPicker()

    public init(configuration: RoutingConfiguration) throws(RoutingError) {
        try configuration.validate()
        breakersEnabled = configuration.breakers != nil
        do {
            breakers = try BreakerSet(configuration: configuration.breakers ?? .default)
            failoverBudget = try RetryBudget(configuration: configuration.failoverBudget)
        } catch {
            throw RoutingError(.invalidConfiguration, "breaker configuration: \(error)", cause: error)
        }
        latencyDecay = configuration.latencyDecay
    }

    // MARK: Choosing

    /// Picks a peer among `candidates` (minus `excluding`) by power of two choices on outstanding calls and
    /// latency, skipping peers whose breaker is open, and takes a permit from its breaker. A half-open breaker
    /// with no trial permit left sends the pick to the next candidate.
    ///
    /// A first attempt (`excluding` empty) deposits into the failover budget; a failover (after a peer in
    /// `excluding` failed) withdraws from it, and gets `.noPeer` when the budget is spent.
    public mutating func choose(
        among candidates: [String], excluding: Set<String> = [], now: MeshInstant,
        using rng: inout some RandomNumberGenerator
    ) -> (Choice, [BreakerSet.Transition]) {
        var transitions = breakersEnabled ? breakers.tick(now: now) : []
        if excluding.isEmpty {
            failoverBudget.recordRequest(now: now)
        } else if !failoverBudget.tryWithdraw(now: now) {
            return (.noPeer(reason: "failover budget spent", retryAfter: nil), transitions)
        }
        var refused = excluding
        var skipped: [String] = []
        var reasons: [String] = []
        for peer in candidates where !refused.contains(peer) && !breakers.isAvailable(peer: peer) {
            refused.insert(peer)
            skipped.append(peer)
        }
        while true {
            let loads = candidates.filter { !refused.contains($0) }.map { peer in
                PeerLoad(
                    id: peer, outstanding: stats[peer]?.outstanding ?? 0,
                    ewmaLatency: stats[peer]?.latency.estimate(now: now) ?? .zero, available: true)
            }
            guard let peer = picker.pick(loads, using: &rng) else { break }
            guard breakersEnabled else {
                update(peer, now) { $0.outstanding += 1 }
                return (.send(peer: peer, permit: nil), transitions)
            }
            switch breakers.tryAcquire(BreakerKey(peer: peer), now: now) {
            case .success(let permit):
                update(peer, now) { $0.outstanding += 1 }
                for s in skipped { update(s, now) { $0.turnedAway += 1 } }
                return (.send(peer: peer, permit: permit), transitions)
            case .failure(let rejection):
                refused.insert(peer)
                update(peer, now) { $0.turnedAway += 1 }
                reasons.append("\(peer): \(rejection)")
                transitions += breakers.tick(now: now)
            }
        }
        // Nobody to pick: ask the skipped breakers themselves, for their refusal and how long it lasts.
        var retryAfter: MeshDuration?
        for peer in skipped {
            update(peer, now) { $0.turnedAway += 1 }
            switch breakers.tryAcquire(BreakerKey(peer: peer), now: now) {
            case .success(let permit) where breakersEnabled:
                update(peer, now) { $0.outstanding += 1 }
                return (.send(peer: peer, permit: permit), transitions + breakers.tick(now: now))
            case .success(let permit):
                transitions += breakers.release(BreakerKey(peer: peer), permit, now: now)
                reasons.append("\(peer): \(breakers.state(BreakerKey(peer: peer)))")
            case .failure(let rejection):
                reasons.append("\(peer): \(rejection)")
                if let wait = rejection.retryAfter { retryAfter = min(retryAfter ?? wait, wait) }
            }
        }
        let why = candidates.isEmpty ? "no peer hosts it" : reasons.joined(separator: "; ")
        return (
            .noPeer(reason: why.isEmpty ? "every candidate was already tried" : why, retryAfter: retryAfter),
            transitions + breakers.tick(now: now)
        )
    }

    /// Admits a call keyed to `owner`, which only that peer may serve: with `.failFast` a refusing breaker
    /// fails the call; with `.queue` the call waits while the breaker's wait ends before `deadline`.
    public mutating func admitOwner(
        _ owner: String, now: MeshInstant, deadline: MeshInstant, policy: OwnerWaitPolicy
    ) -> (OwnerAdmission, [BreakerSet.Transition]) {
        let key = BreakerKey(peer: owner)
        guard breakersEnabled else {
            if breakers.isAvailable(peer: owner) {
                update(owner, now) { $0.outstanding += 1 }
                return (.send(permit: nil), [])
            }
            update(owner, now) { $0.turnedAway += 1 }
            let rejection = BreakerRejection(
                .forcedOpen, state: breakers.state(key), retryAfter: nil, "peer \(owner) is unavailable")
            return (policy == .queue && now < deadline ? .queue(retryAfter: nil) : .fail(rejection), [])
        }
        let transitions = breakers.tick(now: now)
        switch breakers.tryAcquire(key, now: now) {
        case .success(let permit):
            update(owner, now) { $0.outstanding += 1 }
            return (.send(permit: permit), transitions)
        case .failure(let rejection):
            update(owner, now) { $0.turnedAway += 1 }
            guard policy == .queue, now < deadline else { return (.fail(rejection), transitions) }
            if let wait = rejection.retryAfter, now + wait >= deadline { return (.fail(rejection), transitions) }
            return (.queue(retryAfter: rejection.retryAfter), transitions)
        }
    }

    // MARK: Outcomes

    /// Hands back a chosen call: its outcome, and when it started (the latency sample of a success).
    /// `.ignored` (cancelled, caller's own bad request) releases the permit without judging the peer.
    public mutating func finish(
        peer: String, permit: BreakerPermit?, outcome: CallOutcome, startedAt: MeshInstant, now: MeshInstant
    ) -> [BreakerSet.Transition] {
        update(peer, now) { s in
            s.outstanding = max(0, s.outstanding - 1)
            switch outcome {
            case .success:
                s.calls += 1
                s.latency.observe(now - startedAt, now: now)
            case .failure:
                s.calls += 1
                s.failures += 1
            case .ignored:
                break
            }
        }
        guard let permit else { return [] }
        return breakers.record(BreakerKey(peer: peer), permit, outcome: outcome, now: now)
    }

    /// Lets time act on the breakers (open → half-open, slow calls in flight, window expiry).
    public mutating func tick(now: MeshInstant) -> [BreakerSet.Transition] {
        breakersEnabled ? breakers.tick(now: now) : []
    }

    // MARK: Membership

    /// Membership suspects the peer or declared it dead: it is skipped at once, breakers on or off.
    public mutating func markUnavailable(peer: String, reason: String, now: MeshInstant) -> [BreakerSet.Transition] {
        // Create the peer-wide breaker first so the forcing is reported (and visible in the operator's view).
        if case .success(let permit) = breakers.tryAcquire(BreakerKey(peer: peer), now: now) {
            _ = breakers.release(BreakerKey(peer: peer), permit, now: now)
        }
        return breakers.markUnavailable(peer: peer, reason: reason, now: now)
    }

    /// Membership sees the peer alive again: a breaker forced open is reset; one opened by failures keeps its course.
    public mutating func markAvailable(peer: String, now: MeshInstant) -> [BreakerSet.Transition] {
        breakers.markAvailable(peer: peer, now: now)
    }

    // MARK: Observation

    /// The operator's view of `peers` (and of every peer seen so far), sorted by name.
    public func statuses(of peers: [String] = [], now: MeshInstant) -> [PeerBreakerStatus] {
        Set(peers).union(stats.keys).union(breakers.keys.map(\.peer)).sorted().map { status(of: $0, now: now) }
    }

    /// The operator's view of one peer (a peer never called shows a closed breaker and zero counts).
    public func status(of peer: String, now: MeshInstant) -> PeerBreakerStatus {
        let key = BreakerKey(peer: peer)
        let snapshot = breakers.snapshot(key, now: now)
        let s = stats[peer]
        let state = breakers.state(key)
        return PeerBreakerStatus(
            peer: peer,
            state: breakersEnabled || state != .closed ? "\(state)" : "off",
            inState: snapshot.map { now - $0.since } ?? .zero,
            reason: snapshot?.lastReason ?? "",
            failureRate: snapshot?.failureRate ?? 0,
            slowCallRate: snapshot?.slowCallRate ?? 0,
            rejected: s?.turnedAway ?? 0,
            callsInWindow: UInt64(snapshot?.callsInWindow ?? 0),
            outstanding: UInt64(s?.outstanding ?? 0),
            latency: s?.latency.estimate(now: now) ?? .zero,
            calls: s?.calls ?? 0,
            failures: s?.failures ?? 0)
    }

    /// The state of the peer's breaker (closed when none exists yet).
    public func state(of peer: String) -> CircuitBreaker.State { breakers.state(BreakerKey(peer: peer)) }

    // MARK: Internals

    private mutating func update(_ peer: String, _ now: MeshInstant, _ body: (inout PeerStats) -> Void) {
        var s = stats[peer] ?? PeerStats(latency: LatencyEWMA(decay: latencyDecay, now: now))
        body(&s)
        stats[peer] = s
    }
}
