import MeshCore
import MeshResilience
import Testing

/// An instant `ms` milliseconds after the origin.
func at(_ ms: Int64) -> MeshInstant { MeshInstant(nanoseconds: ms * 1_000_000) }

/// A small count-window configuration that trips quickly, for readable tests.
func smallConfiguration(
    window: CircuitBreaker.Window = .count(10),
    failureRate: Double = 0.5,
    slowRate: Double = 1,
    slowCall: MeshDuration = .milliseconds(100),
    minimumCalls: Int = 4,
    openWait: MeshDuration = .milliseconds(500),
    halfOpenPermits: Int = 2,
    countedFailures: Set<FailureKind> = Set(FailureKind.allCases)
) -> CircuitBreaker.Configuration {
    CircuitBreaker.Configuration(
        window: window, failureRateThreshold: failureRate, slowCallRateThreshold: slowRate,
        slowCallDuration: slowCall, minimumCalls: minimumCalls, openWait: openWait, openWaitMultiplier: 2,
        maxOpenWait: .milliseconds(1_500), halfOpenPermits: halfOpenPermits, countedFailures: countedFailures)
}

extension CircuitBreaker {
    /// Acquires a permit at `now`, failing the test if the breaker refuses.
    mutating func permit(at now: MeshInstant, sourceLocation: SourceLocation = #_sourceLocation) throws -> Permit {
        switch tryAcquire(now: now) {
        case .success(let permit): return permit
        case .failure(let rejection):
            Issue.record("expected a permit, got \(rejection)", sourceLocation: sourceLocation)
            throw rejection
        }
    }

    /// The rejection at `now`, or nil if a permit was (unexpectedly) issued (the permit is then released).
    mutating func rejection(at now: MeshInstant) -> BreakerRejection? {
        switch tryAcquire(now: now) {
        case .success(let permit):
            _ = release(permit, now: now)
            return nil
        case .failure(let rejection): return rejection
        }
    }

    /// One whole call: acquire at `start`, finish `taking` later with `outcome`; returns the transitions.
    mutating func call(
        _ outcome: Outcome, at start: MeshInstant, taking duration: MeshDuration = .milliseconds(1),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [BreakerTransition] {
        let permit = try permit(at: start, sourceLocation: sourceLocation)
        return record(permit, outcome: outcome, now: start + duration)
    }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }
}
