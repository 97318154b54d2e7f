import MeshCore
import MeshResilience
import Testing

@Suite("Breaker: calls still in flight")
struct BreakerSlowInFlightTests {
    @Test func hangingCallsOpenTheBreakerBeforeTheyFinish() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(slowRate: 0.5, minimumCalls: 3))
        let permits = try (0..<3).map { _ in try breaker.permit(at: at(0)) }
        #expect(breaker.tick(now: at(99)) == [])
        #expect(breaker.snapshot.window == WindowTotals())
        let transitions = breaker.tick(now: at(100))
        #expect(transitions.map(\.reason) == ["slow-call rate 100% >= 50% over 3 calls"])
        #expect(breaker.isOpen)
        // Their late answers belong to the closed generation and change nothing.
        for permit in permits { #expect(breaker.record(permit, outcome: .success, now: at(200)) == []) }
        #expect(breaker.snapshot.stalePermits == 3)
        #expect(breaker.isOpen)
    }

    @Test func aCallCountedWhileRunningIsNotCountedAgainWhenItFinishes() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(minimumCalls: 10))
        let succeeding = try breaker.permit(at: at(0))
        let failing = try breaker.permit(at: at(0))
        let cancelled = try breaker.permit(at: at(50))
        #expect(breaker.tick(now: at(150)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 3, failures: 0, slowCalls: 3))
        #expect(breaker.tick(now: at(160)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 3, failures: 0, slowCalls: 3))
        #expect(breaker.record(succeeding, outcome: .success, now: at(200)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 3, failures: 0, slowCalls: 3))
        #expect(breaker.record(failing, outcome: .failure(.timeout), now: at(300)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 3, failures: 1, slowCalls: 3))
        #expect(breaker.release(cancelled, now: at(310)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 3, failures: 1, slowCalls: 3))
        #expect(breaker.snapshot.inFlight == 0)
        #expect(breaker.snapshot.stalePermits == 0)
    }

    @Test func aSlowSampleAmendedInATimeWindowStaysInItsBucket() throws {
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(
                window: .time(.milliseconds(1_000), buckets: 10), minimumCalls: 10))
        let permit = try breaker.permit(at: at(0))
        _ = breaker.tick(now: at(120))  // counted slow in the bucket of t=100..199
        #expect(breaker.record(permit, outcome: .failure(.connection), now: at(400)) == [])
        #expect(breaker.snapshot.window == WindowTotals(calls: 1, failures: 1, slowCalls: 1))
        #expect(breaker.snapshot(now: at(1_100)).window == WindowTotals())
    }

    @Test func aFailureOfACallWhoseSlowSampleExpiredIsNotCountedTwice() throws {
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(
                window: .time(.milliseconds(1_000), buckets: 10), minimumCalls: 10))
        let permit = try breaker.permit(at: at(0))
        _ = breaker.tick(now: at(120))
        #expect(breaker.record(permit, outcome: .failure(.connection), now: at(5_000)) == [])
        #expect(breaker.snapshot.window == WindowTotals())
    }
}
