import MeshCore
import MeshResilience
import Testing

@Suite("Backoff with full jitter")
struct BackoffTests {
    let backoff = Backoff(initial: .milliseconds(100), multiplier: 2, max: .milliseconds(1_000))

    @Test func ceilingGrowsExponentiallyUpToTheCap() {
        let ceilings = (0...5).map { backoff.ceiling(attempt: $0) }
        #expect(ceilings == [100, 200, 400, 800, 1_000, 1_000].map { MeshDuration.milliseconds($0) })
        #expect(backoff.ceiling(attempt: 10_000) == .milliseconds(1_000))
        #expect(backoff.ceiling(attempt: Int.max) == .milliseconds(1_000))
        #expect(backoff.ceiling(attempt: -3) == .milliseconds(100))
        let flat = Backoff(initial: .milliseconds(30), multiplier: 1, max: .milliseconds(1_000))
        #expect(flat.ceiling(attempt: 1_000_000) == .milliseconds(30))
    }

    @Test func delaysStayWithinZeroAndTheCeiling() {
        var rng = SeededRandom(seed: 7)
        for attempt in 0..<8 {
            let ceiling = backoff.ceiling(attempt: attempt)
            for _ in 0..<500 {
                let delay = backoff.delay(attempt: attempt, using: &rng)
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
        let zero = Backoff(initial: .zero, multiplier: 2, max: .zero)
        #expect(zero.delay(attempt: 3, using: &rng) == .zero)
    }

    @Test func fullJitterIsUniformOverTheInterval() {
        var rng = SeededRandom(seed: 2026)
        let samples = 20_000
        var deciles = [Int](repeating: 0, count: 10)
        var sum = 0.0
        let ceiling = backoff.ceiling(attempt: 2).nanoseconds  // 400 ms
        for _ in 0..<samples {
            let delay = backoff.delay(attempt: 2, using: &rng).nanoseconds
            sum += Double(delay)
            deciles[min(Int(delay * 10 / ceiling), 9)] += 1
        }
        let mean = sum / Double(samples) / Double(ceiling)
        #expect(abs(mean - 0.5) < 0.02, "mean \(mean) of the ceiling")
        for count in deciles {
            #expect(abs(Double(count) / Double(samples) - 0.1) < 0.015, "deciles \(deciles)")
        }
    }

    @Test func invalidBackoffsAreRefused() {
        do {
            try Backoff(initial: .milliseconds(10), multiplier: 0.5, max: .milliseconds(100)).validate()
            Issue.record("multiplier below 1 accepted")
        } catch {
            #expect(error.code == .outOfRange)
        }
        do {
            try Backoff(initial: .milliseconds(10), multiplier: 2, max: .milliseconds(1)).validate()
            Issue.record("max below initial accepted")
        } catch {
            #expect(error.code == .inconsistent)
        }
        #expect(throws: Never.self) { try Backoff.default.validate() }
    }
}
