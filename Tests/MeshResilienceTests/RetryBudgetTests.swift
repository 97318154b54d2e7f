import MeshCore
import MeshResilience
import Testing

@Suite("Retry budget")
struct RetryBudgetTests {
    @Test func theReserveAllowsMinRetriesPerSecondOverTheTTL() throws {
        var budget = try RetryBudget(
            configuration: .init(ratio: 0.1, minRetriesPerSecond: 2, ttl: .milliseconds(10_000)))
        let start = MeshInstant.zero
        #expect(budget.balance(now: start) == 20)
        let granted = (0..<21).map { _ in budget.tryWithdraw(now: start) }
        #expect(granted == Array(repeating: true, count: 20) + [false])
        // Ten requests deposit one retry.
        for _ in 0..<10 { budget.recordRequest(now: start) }
        let afterDeposits = [budget.tryWithdraw(now: start), budget.tryWithdraw(now: start + .milliseconds(9_000))]
        #expect(afterDeposits == [true, false])
        // Once the withdrawals have expired the reserve is whole again.
        #expect(budget.balance(now: start + .milliseconds(10_000)) == 20)
    }

    /// Every request fails and every failure asks for a retry: the budget, not the failures, sets the rate.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func retriesStayWithinTheRatioOverALongRun(seed: UInt64) throws {
        let ratio = 0.1
        var budget = try RetryBudget(
            configuration: .init(ratio: ratio, minRetriesPerSecond: 0, ttl: .milliseconds(10_000)))
        let policy = RetryPolicy(maxAttempts: 4, backoff: .default, retryable: [.unavailable])
        var rng = SeededRandom(seed: seed)
        var now = MeshInstant.zero
        var requests = 0
        var retries = 0
        while now < MeshInstant.zero + .milliseconds(1_000_000) {  // 1000 s, ~100 requests/s
            now = now + .milliseconds(Int64.random(in: 0...20, using: &rng))
            budget.recordRequest(now: now)
            requests += 1
            var attempt = 1
            while case .retry = policy.decide(
                attempt: attempt, isIdempotent: true, hasIdempotencyKey: false, failure: .unavailable, now: now,
                deadline: now + .milliseconds(5_000), budget: &budget, using: &rng)
            {
                retries += 1
                attempt += 1
            }
        }
        let share = Double(retries) / Double(requests)
        #expect(requests > 90_000)
        #expect(share <= ratio * 1.01, "retries were \(share) of requests")
        #expect(share >= ratio * 0.95, "the budget should be usable: \(share)")
    }

    @Test func invalidBudgetsAreRefused() {
        do {
            _ = try RetryBudget(configuration: .init(ratio: -0.1))
            Issue.record("negative ratio accepted")
        } catch {
            #expect(error.code == .outOfRange)
        }
        do {
            _ = try RetryBudget(configuration: .init(ttl: .zero))
            Issue.record("zero ttl accepted")
        } catch {
            #expect(error.code == .outOfRange)
        }
    }
}
