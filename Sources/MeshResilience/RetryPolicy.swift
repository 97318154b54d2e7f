import MeshCore

/// What to do after a failed attempt.
public enum RetryDecision: Hashable, Sendable {
    /// Try again after waiting this long (the wait ends before the call's deadline).
    case retry(after: MeshDuration)
    /// Stop, and report the failure.
    case giveUp(RetryRefusal)
}

/// When a failed call is tried again: retries that cannot amplify load.
///
/// A retry happens only if all hold, checked in this order: fewer than `maxAttempts` attempts were made; the
/// call is idempotent (a query) or carries an idempotency key (a command the server deduplicates); the failure
/// kind is retryable; the jittered backoff ends before the deadline; and the peer's `RetryBudget` has a token.
/// The budget is only charged when every other check has passed.
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts in all, the first included (1 = never retry).
    public var maxAttempts: Int
    public var backoff: Backoff
    /// Failure kinds worth another attempt.
    public var retryable: Set<FailureKind>

    public init(
        maxAttempts: Int = 3,
        backoff: Backoff = .default,
        retryable: Set<FailureKind> = [.timeout, .connection, .overloaded, .unavailable]
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.retryable = retryable
    }

    /// 3 attempts, the default backoff, retrying timeouts, connection failures, overload and unavailability.
    public static let `default` = RetryPolicy()

    public func validate() throws(ResilienceConfigurationError) {
        try ResilienceConfigurationError.require(maxAttempts >= 1, "maxAttempts must be at least 1, got \(maxAttempts)")
        try backoff.validate()
    }

    /// Decides after attempt number `attempt` (1 = the first attempt) failed with `failure` at `now`.
    /// On `.retry` one token has been taken from `budget`.
    public func decide(
        attempt: Int,
        isIdempotent: Bool,
        hasIdempotencyKey: Bool,
        failure: FailureKind,
        now: MeshInstant,
        deadline: MeshInstant,
        budget: inout RetryBudget,
        using rng: inout some RandomNumberGenerator
    ) -> RetryDecision {
        func refuse(_ code: RetryRefusal.Code, _ message: String) -> RetryDecision {
            .giveUp(RetryRefusal(code, failure: failure, message))
        }
        guard attempt < maxAttempts else {
            return refuse(.attemptsExhausted, "\(attempt) of \(maxAttempts) attempts made")
        }
        guard isIdempotent || hasIdempotencyKey else {
            return refuse(.notIdempotent, "a non-idempotent call without an idempotency key is never retried")
        }
        guard retryable.contains(failure) else {
            return refuse(.notRetryable, "\(failure) is not retried by this policy")
        }
        let delay = backoff.delay(attempt: attempt - 1, using: &rng)
        guard now + delay < deadline else {
            return refuse(.deadlineExceeded, "a retry after \(delay) would not start before the deadline")
        }
        guard budget.tryWithdraw(now: now) else {
            return refuse(.budgetExhausted, "the peer's retry budget is spent")
        }
        return .retry(after: delay)
    }
}
