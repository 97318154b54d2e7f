import MeshCore
import MeshResilience
import Testing

@Suite("Breaker: closed state and its window")
struct BreakerClosedStateTests {
    @Test func opensOnFailureRateOnlyOnceMinimumCallsAreReached() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(minimumCalls: 5))
        // 2 of 4 failed (50 %) but the window holds fewer than minimumCalls: still closed.
        for (i, outcome) in [CallOutcome.failure(.timeout), .success, .failure(.connection), .success].enumerated() {
            #expect(try breaker.call(outcome, at: at(Int64(i) * 10)) == [])
        }
        #expect(try breaker.call(.success, at: at(40)) == [])  // 2/5 = 40 %
        #expect(breaker.state == .closed)
        let transitions = try breaker.call(.failure(.serverError), at: at(50))  // 3/6 = 50 %
        #expect(transitions.count == 1)
        #expect(transitions.first?.from == .closed)
        #expect(transitions.first?.reason == "failure rate 50% >= 50% over 6 calls")
        #expect(transitions.first?.at == at(51))
        #expect(breaker.state == .open(since: at(51), reason: "failure rate 50% >= 50% over 6 calls"))
    }

    @Test func opensOnSlowCallRate() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(slowRate: 0.6, minimumCalls: 5))
        // Successes, but 3 of 5 take at least the slow-call duration (100 ms).
        let durations: [Int64] = [150, 10, 100, 20, 99]
        for (i, ms) in durations.prefix(4).enumerated() {
            #expect(try breaker.call(.success, at: at(Int64(i) * 200), taking: .milliseconds(ms)) == [])
        }
        #expect(breaker.snapshot.window == WindowTotals(calls: 4, failures: 0, slowCalls: 2))
        #expect(try breaker.call(.success, at: at(800), taking: .milliseconds(99)) == [])  // 2/5 slow
        let transitions = try breaker.call(.success, at: at(1_000), taking: .milliseconds(300))  // 3/6 slow
        #expect(transitions == [])
        let last = try breaker.call(.success, at: at(1_400), taking: .milliseconds(300))  // 4/7 slow = 57 %
        #expect(last == [])
        let tripping = try breaker.call(.success, at: at(1_800), taking: .milliseconds(300))  // 5/8 = 62.5 %
        #expect(tripping.map(\.reason) == ["slow-call rate 63% >= 60% over 8 calls"])
        #expect(breaker.isOpen)
    }

    @Test func countWindowForgetsTheOldestCalls() throws {
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(window: .count(4), failureRate: 0.75, minimumCalls: 4))
        var t: Int64 = 0
        func next() -> MeshInstant {
            t += 10
            return at(t)
        }
        for outcome in [CallOutcome.failure(.timeout), .failure(.timeout), .success, .success, .success, .success] {
            #expect(try breaker.call(outcome, at: next()) == [])
        }
        #expect(breaker.snapshot.window == WindowTotals(calls: 4, failures: 0, slowCalls: 0))
        #expect(try breaker.call(.failure(.timeout), at: next()) == [])
        #expect(try breaker.call(.failure(.timeout), at: next()) == [])  // [S S F F]: 50 %
        #expect(breaker.snapshot.window == WindowTotals(calls: 4, failures: 2, slowCalls: 0))
        let transitions = try breaker.call(.failure(.timeout), at: next())  // [S F F F]: 75 %
        #expect(transitions.map(\.reason) == ["failure rate 75% >= 75% over 4 calls"])
    }

    @Test func clientErrorsAndUncountedKindsAreIgnored() throws {
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(
                minimumCalls: 2, countedFailures: [.timeout, .connection, .serverError, .unavailable]))
        for i in 0..<50 {
            #expect(try breaker.call(.ignored, at: at(Int64(i))) == [])
            #expect(try breaker.call(.failure(.overloaded), at: at(Int64(i))) == [])
        }
        #expect(breaker.state == .closed)
        #expect(breaker.snapshot.window == WindowTotals())
        #expect(breaker.snapshot.inFlight == 0)
        #expect(try breaker.call(.failure(.connection), at: at(100)) == [])
        #expect(try breaker.call(.failure(.connection), at: at(101)).count == 1)
    }

    @Test func aTimeWindowOpensAtTheCallAFreshCountWouldOpenItAt() throws {
        // Many calls per bucket, some in the same slice of time and some across slices: the breaker keeps its window's
        // sum between calls; a model that adds up every sample each time must agree on the call that opens it.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % n
        }
        var runsThatOpened = 0
        for run in 0..<20 {
            var breaker = try CircuitBreaker(
                configuration: smallConfiguration(
                    window: .time(.milliseconds(1_000), buckets: 10), failureRate: 0.5, minimumCalls: 8))
            var samples: [(epoch: Int64, failed: Bool)] = []
            var ms: Int64 = 0
            var opened = false
            for _ in 0..<2_000 where !opened {
                ms += Int64(next(40))
                let failed = next(100) < 35 + UInt64(run)  // rates around the threshold
                let epoch = (ms + 1) / 100  // the outcome is recorded 1 ms after the call starts
                samples.append((epoch, failed))
                let inWindow = samples.filter { $0.epoch > epoch - 10 }
                let failures = inWindow.filter(\.failed).count
                let modelOpens = inWindow.count >= 8 && Double(failures) / Double(inWindow.count) >= 0.5
                let transitions = try breaker.call(failed ? .failure(.serverError) : .success, at: at(ms))
                #expect(!transitions.isEmpty == modelOpens, "run \(run) at \(ms) ms")
                opened = !transitions.isEmpty || modelOpens
            }
            if opened { runsThatOpened += 1 }
        }
        #expect(runsThatOpened >= 10)
    }

    @Test func timeWindowExpiresOldBuckets() throws {
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(window: .time(.milliseconds(1_000), buckets: 10), minimumCalls: 4))
        for ms: Int64 in [0, 100, 200] {
            #expect(try breaker.call(.failure(.timeout), at: at(ms), taking: .milliseconds(5)) == [])
        }
        #expect(breaker.snapshot(now: at(900)).window == WindowTotals(calls: 3, failures: 3, slowCalls: 0))
        // The bucket of t=0..99 has slid out at t=1000, the others follow one by one.
        #expect(breaker.snapshot(now: at(1_000)).window == WindowTotals(calls: 2, failures: 2, slowCalls: 0))
        #expect(breaker.snapshot(now: at(1_210)).window == WindowTotals())
        // A fourth failure after expiry does not reach minimumCalls.
        #expect(try breaker.call(.failure(.timeout), at: at(1_300)) == [])
        #expect(breaker.state == .closed)
        #expect(breaker.snapshot.window == WindowTotals(calls: 1, failures: 1, slowCalls: 0))
        // Four failures within one window open it.
        for ms: Int64 in [1_400, 1_500] {
            #expect(try breaker.call(.failure(.timeout), at: at(ms)) == [])
        }
        #expect(try breaker.call(.failure(.timeout), at: at(1_600)).count == 1)
        #expect(breaker.isOpen)
    }

    @Test func invalidConfigurationsAreRefusedWithExactCodes() {
        #expect(throws: ResilienceConfigurationError.self) {
            try CircuitBreaker(configuration: smallConfiguration(window: .count(3), minimumCalls: 4))
        }
        do {
            _ = try CircuitBreaker(configuration: smallConfiguration(window: .count(3), minimumCalls: 4))
        } catch {
            #expect(error.code == .inconsistent)
        }
        do {
            _ = try CircuitBreaker(configuration: smallConfiguration(halfOpenPermits: 0))
            Issue.record("halfOpenPermits 0 was accepted")
        } catch {
            #expect(error.code == .outOfRange)
        }
        do {
            _ = try CircuitBreaker(configuration: smallConfiguration(failureRate: 0))
            Issue.record("failure threshold 0 was accepted")
        } catch {
            #expect(error.code == .outOfRange)
        }
        #expect(throws: Never.self) { try CircuitBreaker.Configuration.default.validate() }
    }
}
