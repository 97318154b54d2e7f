import MeshCore
import MeshResilience
import MeshWire
import Synchronization

/// Client-side circuit breaking and retries with a budget, per peer and service (MeshResilience).
///
/// Each attempt takes a permit from the `(peer, service)` breaker (an open breaker fails the call at once
/// with `unavailable`, without sending) and reports its outcome (`RPCStatus.Code.callOutcome`). After a
/// failure `RetryPolicy.decide` chooses: queries are retried, commands only with an `idempotency-key`
/// (so place `CommandKeyMiddleware` before this one), within the call's deadline and the peer's
/// `RetryBudget`. Every attempt waits only for what is left of the call's timeout.
public struct ResilienceMiddleware: ClientMiddleware {
    /// Everything behind one reference (copying the middleware costs one reference count).
    private let shared: Shared
    var policy: RetryPolicy { shared.policy }
    var clock: any MeshClock { shared.clock }

    public init(
        policy: RetryPolicy = .default,
        breakers: CircuitBreaker.Configuration = .default,
        budget: RetryBudget.Configuration = .default,
        clock: any MeshClock = SystemClock()
    ) throws(ResilienceConfigurationError) {
        try policy.validate()
        try budget.validate()
        self.shared = Shared(
            breakers: try BreakerSet(configuration: breakers), budget: try RetryBudget(configuration: budget),
            policy: policy, clock: clock)
    }

    /// The breaker state for a peer and service (for tests and admin views).
    public func breakerState(peer: String, service: String) -> CircuitBreaker.State {
        shared.state.withLock { $0.breakers.state(BreakerKey(peer: peer, service: service)) }
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        var attempts = try begin(call, at: clock.now())
        var retry: ClientCall?  // nil: the first attempt, which has the whole timeout and goes as it is, without a copy
        while true {
            let failure: RPCError
            do {
                let response = try await retry == nil ? next(call) : next(retry!)
                _ = settle(&attempts, nil, at: clock.now())
                return response
            } catch {
                failure = error
            }
            guard let delay = settle(&attempts, failure, at: clock.now()) else { throw failure }
            try await Self.wait(delay, before: call)
            retry = try self.retry(&attempts, call, at: clock.now())
        }
    }

    /// One call's attempts: the breaker it goes through, its deadline, and the permit of the attempt in progress.
    /// `begin`, `settle` and `retry` drive it; they never read a clock or wait (the caller does both).
    struct Attempts: Sendable {
        let key: BreakerKey
        let deadline: MeshInstant?
        /// What the retry policy asks of the call (its kind and metadata do not change between attempts); the key is
        /// looked up only for a call that is not idempotent (the only case the policy asks about it).
        let isIdempotent: Bool
        let hasIdempotencyKey: Bool
        var number = 1
        var permit: BreakerPermit
    }

    /// Admits the first attempt of `call` at `start`; throws `unavailable` if its breaker refuses.
    func begin(_ call: ClientCall, at start: MeshInstant) throws(RPCError) -> Attempts {
        let key = BreakerKey(peer: call.peer, service: call.service)
        let permit = try shared.acquire(key, now: start, isRetry: false)
        return Attempts(
            key: key, deadline: call.timeout.map { start + $0 }, isIdempotent: call.kind.isIdempotent,
            hasIdempotencyKey: !call.kind.isIdempotent && !(call.metadata[MetadataKey.idempotencyKey]?.isEmpty ?? true),
            permit: permit)
    }

    /// Hands the attempt's permit back with its outcome (`failure` nil = it succeeded), at `now`. Returns nil when
    /// the call is over (it succeeded, or `failure` is not retried), else how long to wait before `retry`.
    func settle(_ attempts: inout Attempts, _ failure: RPCError?, at now: MeshInstant) -> MeshDuration? {
        guard let failure else {
            shared.record(attempts.key, attempts.permit, .success, now: now)
            return nil
        }
        let outcome = failure.code.callOutcome
        shared.record(attempts.key, attempts.permit, outcome, now: now)
        guard case .failure(let kind) = outcome else { return nil }
        var rng = SystemRandomNumberGenerator()
        let decision = shared.decide(
            policy, attempts, failure: kind, now: now, deadline: attempts.deadline ?? now + .seconds(3600), using: &rng)
        guard case .retry(let delay) = decision else { return nil }
        return delay
    }

    /// Admits the next attempt at `now` (throws `unavailable` if the breaker refuses it): `call` with what is left
    /// of its deadline.
    func retry(_ attempts: inout Attempts, _ call: ClientCall, at now: MeshInstant) throws(RPCError) -> ClientCall {
        attempts.permit = try shared.acquire(attempts.key, now: now, isRetry: true)
        attempts.number += 1
        return Self.call(call, until: attempts.deadline, now: now)
    }

    /// Waits `delay` before the next attempt of `call`; throws `cancelled` if the task is cancelled meanwhile.
    nonisolated(nonsending) static func wait(_ delay: MeshDuration, before call: ClientCall) async throws(RPCError) {
        guard delay > .zero else { return }
        do {
            try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
        } catch {
            throw RPCError(.cancelled, "\(call.method): cancelled while waiting to retry")
        }
    }

    /// `call` waiting only for what is left until `deadline` (a retry).
    private static func call(_ call: ClientCall, until deadline: MeshInstant?, now: MeshInstant) -> ClientCall {
        var retry = call
        if let deadline { retry.timeout = deadline - now }
        return retry
    }

    /// Breakers and budgets shared by every call through this middleware. Sendable: state is in a `Mutex`.
    private final class Shared: Sendable {
        struct State {
            var breakers: BreakerSet
            /// Per peer.
            var budgets = RecentKeyTable<String, RetryBudget>()

            /// Runs `body` on the peer's budget, made from `fresh` on first use.
            mutating func withBudget<R>(_ peer: String, fresh: RetryBudget, _ body: (inout RetryBudget) -> R) -> R {
                if let result = budgets.modify(peer, body) { return result }
                budgets.insert(peer, fresh)
                return budgets.modify(peer, body)!
            }
        }

        let state: Mutex<State>
        /// A fresh budget, copied for each new peer.
        let freshBudget: RetryBudget
        let policy: RetryPolicy
        let clock: any MeshClock

        init(breakers: BreakerSet, budget: RetryBudget, policy: RetryPolicy, clock: any MeshClock) {
            state = Mutex(State(breakers: breakers))
            freshBudget = budget
            self.policy = policy
            self.clock = clock
        }

        func acquire(_ key: BreakerKey, now: MeshInstant, isRetry: Bool) throws(RPCError) -> BreakerPermit {
            let result = state.withLock { state -> Result<BreakerPermit, BreakerRejection> in
                let r = state.breakers.tryAcquire(key, now: now)
                if case .success = r, !isRetry {
                    state.withBudget(key.peer, fresh: freshBudget) { $0.recordRequest(now: now) }
                }
                return r
            }
            switch result {
            case .success(let permit): return permit
            case .failure(let rejection):
                throw RPCError(
                    .unavailable, "circuit breaker for \(key) refused the call: \(rejection)", cause: rejection)
            }
        }

        func record(_ key: BreakerKey, _ permit: BreakerPermit, _ outcome: CallOutcome, now: MeshInstant) {
            state.withLock { _ = $0.breakers.record(key, permit, outcome: outcome, now: now) }
        }

        func decide(
            _ policy: RetryPolicy, _ attempts: Attempts, failure: FailureKind, now: MeshInstant,
            deadline: MeshInstant, using rng: inout SystemRandomNumberGenerator
        ) -> RetryDecision {
            state.withLock { state in
                state.withBudget(attempts.key.peer, fresh: freshBudget) { budget in
                    policy.decide(
                        attempt: attempts.number,
                        isIdempotent: attempts.isIdempotent,
                        hasIdempotencyKey: attempts.hasIdempotencyKey,
                        failure: failure, now: now, deadline: deadline,
                        budget: &budget, using: &rng)
                }
            }
        }
    }
}
