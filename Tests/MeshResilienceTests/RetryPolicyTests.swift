import MeshCore
import MeshResilience
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 3, backoff: .default)
    let farDeadline = MeshInstant.zero + .milliseconds(60_000)

    func generousBudget() throws -> RetryBudget {
        try RetryBudget(configuration: .init(ratio: 0, minRetriesPerSecond: 100, ttl: .milliseconds(10_000)))
    }

    func decide(
        attempt: Int = 1, idempotent: Bool = true, key: Bool = false, failure: FailureKind = .connection,
        now: MeshInstant = .zero, deadline: MeshInstant? = nil, budget: inout RetryBudget, seed: UInt64 = 1
    ) -> RetryDecision {
        var rng = SeededRandom(seed: seed)
        return policy.decide(
            attempt: attempt, isIdempotent: idempotent, hasIdempotencyKey: key, failure: failure, now: now,
            deadline: deadline ?? farDeadline, budget: &budget, using: &rng)
    }

    func refusalCode(_ decision: RetryDecision) -> RetryRefusal.Code? {
        if case .giveUp(let refusal) = decision { return refusal.code }
        return nil
    }

    @Test func nonIdempotentCallsWithoutAKeyAreNeverRetried() throws {
        var budget = try generousBudget()
        for failure in FailureKind.allCases {
            let decision = decide(idempotent: false, key: false, failure: failure, budget: &budget)
            #expect(refusalCode(decision) == .notIdempotent)
        }
        #expect(budget.balance(now: .zero) == 1_000)  // refusals do not charge the budget
        let keyed = decide(idempotent: false, key: true, budget: &budget)
        guard case .retry(let after) = keyed else {
            Issue.record("a keyed command was not retried: \(keyed)")
            return
        }
        #expect(after <= .milliseconds(100))
        #expect(budget.balance(now: .zero) == 999)
    }

    @Test func attemptsAreBoundedAndBackoffGrowsWithTheAttempt() throws {
        var budget = try generousBudget()
        #expect(refusalCode(decide(attempt: 3, budget: &budget)) == .attemptsExhausted)
        #expect(refusalCode(decide(attempt: 7, budget: &budget)) == .attemptsExhausted)
        for seed: UInt64 in 1...200 {
            if case .retry(let after) = decide(attempt: 2, budget: &budget, seed: seed) {
                #expect(after <= .milliseconds(200))
            } else {
                Issue.record("attempt 2 of 3 was not retried")
            }
        }
    }

    @Test func onlyRetryableFailuresAreRetried() throws {
        var budget = try generousBudget()
        #expect(refusalCode(decide(failure: .serverError, budget: &budget)) == .notRetryable)
        for failure: FailureKind in [.timeout, .connection, .overloaded, .unavailable] {
            #expect(refusalCode(decide(failure: failure, budget: &budget)) == nil)
        }
    }

    @Test func retriesNeverWaitPastTheDeadline() throws {
        var budget = try generousBudget()
        let now = MeshInstant.zero + .milliseconds(1_000)
        let deadline = now + .milliseconds(50)  // less than the 100 ms backoff ceiling
        var retried = 0
        var refused = 0
        for seed: UInt64 in 1...400 {
            switch decide(now: now, deadline: deadline, budget: &budget, seed: seed) {
            case .retry(let after):
                #expect(now + after < deadline)
                retried += 1
            case .giveUp(let refusal):
                #expect(refusal.code == .deadlineExceeded)
                #expect(refusal.failure == .connection)
                refused += 1
            }
        }
        #expect(retried > 100 && refused > 100)  // about half each: the jitter decides
        #expect(refusalCode(decide(now: now, deadline: now, budget: &budget)) == .deadlineExceeded)
        #expect(refusalCode(decide(now: now, deadline: now - .milliseconds(1), budget: &budget)) == .deadlineExceeded)
    }

    @Test func anEmptyBudgetRefuses() throws {
        var budget = try RetryBudget(configuration: .init(ratio: 0, minRetriesPerSecond: 0))
        let decision = decide(budget: &budget)
        #expect(refusalCode(decision) == .budgetExhausted)
    }
}
