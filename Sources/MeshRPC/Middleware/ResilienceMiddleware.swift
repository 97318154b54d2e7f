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
        try await send(call, startedAt: clock.now(), clock: clock, next: next).response
    }

    /// Every attempt of `call` from `start`, a reading of `clock` the caller already took (a fused step passes its
    /// own clock and shares its readings): the response and the reading taken when it arrived.
    nonisolated(nonsending) func send(
        _ call: ClientCall, startedAt start: MeshInstant, clock: any MeshClock, next: ClientNext
    ) async throws(RPCError) -> (response: ResponseHead, finishedAt: MeshInstant) {
        let key = BreakerKey(peer: call.peer, service: String(call.service))
        let deadline = call.timeout.map { start + $0 }
        var attempt = 1
        var rng = SystemRandomNumberGenerator()
        while true {
            let now = attempt == 1 ? start : clock.now()
            let permit = try shared.acquire(key, now: now, isRetry: attempt > 1)
            do {
                // The first attempt has the whole timeout (deadline - start): it goes as it is, without a copy.
                let response = try await attempt == 1 ? next(call) : next(Self.call(call, until: deadline, now: now))
                let finishedAt = clock.now()
                shared.record(key, permit, .success, now: finishedAt)
                return (response, finishedAt)
            } catch {
                let outcome = error.code.callOutcome
                let failedAt = clock.now()
                shared.record(key, permit, outcome, now: failedAt)
                guard case .failure(let kind) = outcome else { throw error }
                let decision = shared.decide(
                    policy, attempt: attempt, call: call, failure: kind, now: failedAt,
                    deadline: deadline ?? failedAt + .seconds(3600), using: &rng)
                guard case .retry(let delay) = decision else { throw error }
                if delay > .zero {
                    do {
                        try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
                    } catch {
                        throw RPCError(.cancelled, "\(call.method): cancelled while waiting to retry")
                    }
                }
                attempt += 1
            }
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
            _ policy: RetryPolicy, attempt: Int, call: ClientCall, failure: FailureKind, now: MeshInstant,
            deadline: MeshInstant, using rng: inout SystemRandomNumberGenerator
        ) -> RetryDecision {
            state.withLock { state in
                state.withBudget(call.peer, fresh: freshBudget) { budget in
                    policy.decide(
                        attempt: attempt,
                        isIdempotent: call.kind.isIdempotent,
                        hasIdempotencyKey: !(call.metadata[MetadataKey.idempotencyKey]?.isEmpty ?? true),
                        failure: failure, now: now, deadline: deadline,
                        budget: &budget, using: &rng)
                }
            }
        }
    }
}
