import MeshCore
import MeshResilience
import Testing

/// saga.md §4.5 rule 1: every permit comes back on success, failure, ignored outcome, cancellation or timeout,
/// and whichever way a single-permit half-open trial ends, a later caller gets a permit again.
@Suite("Breaker: every way a trial ends returns its permit")
struct BreakerPermitReturnTests {
    enum Ending: String, CaseIterable, Sendable {
        case success, failure, ignored, cancelled, timedOut, neverReported
    }

    @Test(arguments: Ending.allCases)
    func aSinglePermitHalfOpenIsNeverWedged(ending: Ending) throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(halfOpenPermits: 1))
        for ms: Int64 in 0..<4 { _ = try breaker.call(.failure(.timeout), at: at(ms), taking: .zero) }
        var now = at(503)
        let trial = try breaker.permit(at: now)
        #expect(trial.isTrial)
        let blocked = breaker.rejection(at: now)
        #expect(blocked?.code == .halfOpenFull)
        switch ending {
        case .success: _ = breaker.record(trial, outcome: .success, now: now + .milliseconds(10))
        case .failure: _ = breaker.record(trial, outcome: .failure(.serverError), now: now + .milliseconds(10))
        case .ignored: _ = breaker.record(trial, outcome: .ignored, now: now + .milliseconds(10))
        case .cancelled: _ = breaker.release(trial, now: now + .milliseconds(10))
        case .timedOut: _ = breaker.record(trial, outcome: .failure(.timeout), now: now + .milliseconds(100))
        case .neverReported: _ = breaker.tick(now: now + .milliseconds(100))
        }
        #expect(breaker.snapshot.inFlight == 0)
        // At the latest after the (doubled) open wait, a caller is admitted again.
        now = now + .milliseconds(1_200)
        let next = try breaker.permit(at: now)
        #expect(next.id != trial.id)
        #expect(breaker.record(next, outcome: .success, now: now).last?.to == (ending == .success ? nil : .closed))
        #expect(breaker.state == .closed)
    }

    @Test func aPermitHandedBackTwiceIsStaleEvenAfterItsSlotWasReused() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(halfOpenPermits: 1))
        let first = try breaker.permit(at: at(0))
        _ = breaker.record(first, outcome: .success, now: at(1))
        let second = try breaker.permit(at: at(2))  // takes the slot `first` freed
        _ = breaker.record(first, outcome: .failure(.serverError), now: at(3))
        _ = breaker.release(first, now: at(3))
        #expect(breaker.snapshot.stalePermits == 2)
        #expect(breaker.snapshot.inFlight == 1)
        #expect(breaker.snapshot.window.calls == 1 && breaker.snapshot.window.failures == 0)
        // A permit made outside the breaker (no slot) is found by its id.
        let copy = BreakerPermit(
            id: second.id, startedAt: second.startedAt, isTrial: second.isTrial, generation: second.generation)
        _ = breaker.record(copy, outcome: .success, now: at(4))
        #expect(breaker.snapshot.inFlight == 0)
        #expect(breaker.snapshot.window.calls == 2)
    }
}
