import MeshCore

/// A circuit breaker for one peer (or one peer+service): a sans-IO state machine.
///
/// **States.** `closed` admits every call and judges the peer by a sliding window of recent calls; once the
/// window holds `minimumCalls`, a failure rate or slow-call rate at or above its threshold opens the breaker.
/// `open` rejects calls (with `retryAfter`) for the open wait, which doubles on each further opening until the
/// breaker closes again. Then `halfOpen` admits at most `halfOpenPermits` trial calls: the first trial that
/// fails, or is slow, reopens the breaker; when that many trials have succeeded it closes with an empty window.
/// `forcedOpen` rejects everything until `reset`: membership holds a suspected or dead peer there.
///
/// **Permits.** Every admitted call holds a `BreakerPermit` and hands it back exactly once: `record` with an
/// outcome, or `release` when cancelled or abandoned. A released or `.ignored` trial gives its permit back,
/// so another caller can try: half-open can never be wedged by permits that never report. A trial that has run
/// for `slowCallDuration` fails the trial at the next `tick`, so even a permit that is leaked for good cannot
/// hold half-open: the breaker reopens and, after its wait, issues fresh permits. Every transition starts a
/// new generation and forgets the permits of the old one; handing back such a stale permit changes nothing.
///
/// **Slow calls in flight.** `tick` counts a call still running after `slowCallDuration` as a slow call at
/// once, so a hanging peer opens the breaker before its calls time out. When such a call finishes it is not
/// counted again; if it failed, its sample is amended to a failure.
///
/// **Time.** Every operation takes `now`; the breaker never reads a clock. `tryAcquire` moves open → half-open
/// by itself once the wait has elapsed (no `tick` needed); transitions it makes are returned by the next call
/// to `record`, `release`, `tick`, `forceOpen`, `reset` or `takeTransitions`.
///
/// Not thread-safe by itself (it is a value): the shell owns it inside an actor or a `Mutex`.
public struct CircuitBreaker: Sendable {
    public typealias Outcome = CallOutcome
    public typealias Permit = BreakerPermit

    /// Where a breaker stands.
    public enum State: Hashable, Sendable, CustomStringConvertible {
        case closed
        case open(since: MeshInstant, reason: String)
        case halfOpen
        case forcedOpen(reason: String)

        public var description: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "halfOpen"
            case .forcedOpen: "forcedOpen"
            }
        }
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed
    private var window: OutcomeWindow
    private var inFlight = InFlightCalls()
    private var nextPermitID: UInt64 = 1
    private var generation: UInt64 = 0
    private var since: MeshInstant
    private var lastReason = ""
    private var rejected = 0
    private var stalePermits = 0
    /// Openings since the breaker last closed; drives the growing open wait.
    private var consecutiveOpenings = 0
    private var openWait: MeshDuration = .zero
    private var trialSuccesses = 0
    private var pending: [BreakerTransition] = []
    private var latestNow: MeshInstant

    /// A closed breaker with `configuration`, which is validated first.
    public init(configuration: Configuration, now: MeshInstant = .zero) throws(ResilienceConfigurationError) {
        try configuration.validate()
        self.init(validated: configuration, now: now)
    }

    /// A closed breaker with the default configuration.
    public init(now: MeshInstant = .zero) {
        self.init(validated: .default, now: now)
    }

    /// For configurations already validated (e.g. by `BreakerSet`).
    init(validated configuration: Configuration, now: MeshInstant) {
        self.configuration = configuration
        self.window = OutcomeWindow(configuration.window)
        self.since = now
        self.latestNow = now
    }

    // MARK: Calls

    /// Asks to make one call. On success the caller must hand the permit back through `record` or `release`.
    public mutating func tryAcquire(now: MeshInstant) -> Result<Permit, BreakerRejection> {
        let now = observe(now)
        if case .open(let openedAt, _) = state, now >= openedAt + openWait {
            transition(to: .halfOpen, "open wait of \(openWait) elapsed", now)
        }
        switch state {
        case .closed:
            return .success(issue(now, trial: false))
        case .halfOpen:
            guard inFlight.count + trialSuccesses < configuration.halfOpenPermits else {
                let permits = configuration.halfOpenPermits
                return reject(.halfOpenFull, retryAfter: nil, "all \(permits) trial permits are out")
            }
            return .success(issue(now, trial: true))
        case .open(let openedAt, let reason):
            return reject(.open, retryAfter: openedAt + openWait - now, "breaker open: \(reason)")
        case .forcedOpen(let reason):
            return reject(.forcedOpen, retryAfter: nil, "breaker forced open: \(reason)")
        }
    }

    /// Hands a permit back with the call's outcome, and returns the transitions this caused (plus any pending).
    public mutating func record(_ permit: Permit, outcome: Outcome, now: MeshInstant) -> [BreakerTransition] {
        let now = observe(now)
        guard let call = inFlight.remove(permit.id, slot: permit.slot) else {
            stalePermits += 1
            return takeTransitions()
        }
        let elapsed = now - call.startedAt
        let slow = elapsed >= configuration.slowCallDuration
        let failed: Bool?
        switch outcome {
        case .success: failed = false
        case .failure(let kind): failed = configuration.countedFailures.contains(kind) ? true : nil
        case .ignored: failed = nil
        }
        switch state {
        case .closed:
            if let sample = call.slowSample {
                if failed == true { window.markFailed(sample, now: now) }
            } else if let failed {
                _ = window.record(failed: failed, slow: slow, now: now)
            }
            evaluateWindow(now)
        case .halfOpen:
            guard let failed else { break }  // permit returned, no verdict
            if case .failure(let kind) = outcome, failed {
                open("trial call failed (\(kind))", now)
            } else if slow {
                open("trial call took \(elapsed) >= slow-call duration \(configuration.slowCallDuration)", now)
            } else {
                trialSuccesses += 1
                if trialSuccesses >= configuration.halfOpenPermits {
                    consecutiveOpenings = 0
                    transition(to: .closed, "\(trialSuccesses) trial calls succeeded", now)
                }
            }
        case .open, .forcedOpen:
            break  // unreachable: transitions into these states forget every permit
        }
        return takeTransitions()
    }

    /// Hands a permit back without an outcome (the call was cancelled or abandoned). A trial permit becomes
    /// available to the next caller. A call already counted as slow stays counted.
    public mutating func release(_ permit: Permit, now: MeshInstant) -> [BreakerTransition] {
        _ = observe(now)
        if inFlight.remove(permit.id, slot: permit.slot) == nil { stalePermits += 1 }
        return takeTransitions()
    }

    /// Lets time act: open → half-open after the wait, in-flight calls past the slow-call duration counted as
    /// slow (closed) or failing their trial (half-open), and old window buckets expiring.
    public mutating func tick(now: MeshInstant) -> [BreakerTransition] {
        let now = observe(now)
        switch state {
        case .open(let openedAt, _):
            if now >= openedAt + openWait { transition(to: .halfOpen, "open wait of \(openWait) elapsed", now) }
        case .closed:
            for (_, slot, call) in inFlight.all
            where call.slowSample == nil && now - call.startedAt >= configuration.slowCallDuration {
                inFlight.markSlow(slot, window.record(failed: false, slow: true, now: now))
            }
            evaluateWindow(now)
        case .halfOpen:
            let overdue = inFlight.all.filter { now - $0.call.startedAt >= configuration.slowCallDuration }
            if let oldest = overdue.map(\.call.startedAt).min() {
                open("trial call still running after \(now - oldest)", now)
            }
        case .forcedOpen:
            break
        }
        return takeTransitions()
    }

    // MARK: Control from outside

    /// Holds the breaker open until `reset`, e.g. because membership suspects the peer or declared it dead.
    /// Forcing an already forced-open breaker only updates the reason.
    public mutating func forceOpen(reason: String, now: MeshInstant) -> [BreakerTransition] {
        let now = observe(now)
        if case .forcedOpen(let current) = state {
            if current != reason {
                state = .forcedOpen(reason: reason)
                lastReason = reason
            }
        } else {
            transition(to: .forcedOpen(reason: reason), reason, now)
        }
        return takeTransitions()
    }

    /// Closes the breaker with an empty window and the initial open wait, e.g. because membership sees the peer
    /// alive again. A closed breaker is left as it is.
    public mutating func reset(reason: String = "reset", now: MeshInstant) -> [BreakerTransition] {
        let now = observe(now)
        if state != .closed {
            consecutiveOpenings = 0
            transition(to: .closed, reason, now)
        }
        return takeTransitions()
    }

    /// Returns and forgets transitions made by `tryAcquire` that no other call has returned yet.
    public mutating func takeTransitions() -> [BreakerTransition] {
        defer { pending.removeAll() }
        return pending
    }

    // MARK: Observation

    /// The breaker as of `now` (a time-based window may have expired samples since the last call).
    public func snapshot(now: MeshInstant) -> BreakerSnapshot {
        BreakerSnapshot(
            state: state, since: since, lastReason: lastReason,
            window: state == .closed ? window.totals(now: max(now, latestNow)) : WindowTotals(),
            inFlight: inFlight.count, rejected: rejected, stalePermits: stalePermits, generation: generation)
    }

    /// The breaker as of the latest time it was given.
    public var snapshot: BreakerSnapshot { snapshot(now: latestNow) }

    // MARK: Internals

    private mutating func observe(_ now: MeshInstant) -> MeshInstant {
        latestNow = max(latestNow, now)
        return latestNow
    }

    private mutating func issue(_ now: MeshInstant, trial: Bool) -> Permit {
        let id = nextPermitID
        nextPermitID += 1
        let slot = inFlight.insert(id, InFlightCalls.Call(startedAt: now, isTrial: trial, slowSample: nil))
        return Permit(id: id, startedAt: now, isTrial: trial, generation: generation, slot: slot)
    }

    private mutating func reject(
        _ code: BreakerRejection.Code, retryAfter: MeshDuration?, _ message: String
    ) -> Result<Permit, BreakerRejection> {
        rejected += 1
        return .failure(BreakerRejection(code, state: state, retryAfter: retryAfter, message))
    }

    /// Closed only: opens when the window holds enough calls and a rate reaches its threshold.
    private mutating func evaluateWindow(_ now: MeshInstant) {
        guard state == .closed else { return }
        let totals = window.currentTotals(now: now)
        guard totals.calls >= configuration.minimumCalls else { return }
        if totals.failureRate >= configuration.failureRateThreshold {
            open(
                "failure rate \(percent(totals.failureRate)) >= \(percent(configuration.failureRateThreshold))"
                    + " over \(totals.calls) calls", now)
        } else if totals.slowCallRate >= configuration.slowCallRateThreshold {
            open(
                "slow-call rate \(percent(totals.slowCallRate)) >= \(percent(configuration.slowCallRateThreshold))"
                    + " over \(totals.calls) calls", now)
        }
    }

    private mutating func open(_ reason: String, _ now: MeshInstant) {
        consecutiveOpenings += 1
        openWait = configuration.openWait(afterOpenings: consecutiveOpenings)
        transition(to: .open(since: now, reason: reason), reason, now)
    }

    /// Every transition starts a new generation: permits and samples of the old one are forgotten.
    private mutating func transition(to next: State, _ reason: String, _ now: MeshInstant) {
        pending.append(BreakerTransition(from: state, to: next, reason: reason, at: now))
        state = next
        since = now
        lastReason = reason
        generation += 1
        inFlight.removeAll()
        trialSuccesses = 0
        window.clear()
    }

    private func percent(_ rate: Double) -> String { "\(Int((rate * 100).rounded()))%" }
}
