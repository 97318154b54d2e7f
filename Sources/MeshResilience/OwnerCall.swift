import MeshCore

/// How a call keyed to a partition owner behaves when the owner's breaker refuses it. Such a call goes to the
/// owner only, never to another member: a missing owner means "wait and retry", not "give the key to someone
/// else".
public enum OwnerWaitPolicy: Hashable, Sendable {
    /// Fail at once (interactive calls).
    case failFast
    /// Keep the call queued while a permit may come before the deadline (outbox deliveries, commands).
    case queue
}

/// What to do with a call to a partition owner right now.
public enum OwnerCallDecision: Hashable, Sendable {
    /// Send it, holding this permit.
    case send(BreakerPermit)
    /// Keep it queued and ask again after this long, or, when nil (forced open, half-open full), on the next
    /// breaker transition or membership change, but never past the call's deadline.
    case queue(retryAfter: MeshDuration?)
    /// Fail the call with this rejection.
    case fail(BreakerRejection)
}

extension CircuitBreaker {
    /// Asks the owner's breaker for a permit and applies `policy` to a refusal: with `.queue`, the call waits
    /// while the breaker's own `retryAfter` (if known) ends before `deadline`; otherwise it fails fast.
    public mutating func acquireForOwner(
        now: MeshInstant, deadline: MeshInstant, policy: OwnerWaitPolicy
    ) -> OwnerCallDecision {
        switch tryAcquire(now: now) {
        case .success(let permit):
            return .send(permit)
        case .failure(let rejection):
            guard policy == .queue, now < deadline else { return .fail(rejection) }
            if let wait = rejection.retryAfter, now + wait >= deadline { return .fail(rejection) }
            return .queue(retryAfter: rejection.retryAfter)
        }
    }
}
