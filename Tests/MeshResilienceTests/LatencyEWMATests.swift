import MeshCore
import MeshResilience
import Testing

@Suite("Peak EWMA latency")
struct LatencyEWMATests {
    let tau = MeshDuration.milliseconds(10_000)

    @Test func aPeakIsTakenAtOnce() {
        var ewma = LatencyEWMA(decay: tau, initial: .milliseconds(10), now: .zero)
        ewma.observe(.milliseconds(100), now: at(1))
        #expect(ewma.estimate(now: at(1)) == .milliseconds(100))
    }

    @Test func aLowerSampleIsBelievedGradually() {
        var ewma = LatencyEWMA(decay: tau, initial: .milliseconds(100), now: .zero)
        ewma.observe(.milliseconds(10), now: at(0))  // no time passed: weight 1, estimate unchanged
        #expect(ewma.estimate(now: at(0)) == .milliseconds(100))
        // One time constant later: 100·e⁻¹ + 10·(1 − e⁻¹) ≈ 43.1 ms.
        ewma.observe(.milliseconds(10), now: at(10_000))
        let estimate = ewma.estimate(now: at(10_000)).milliseconds
        #expect(abs(estimate - 43.109) < 0.01, "\(estimate)")
    }

    @Test func withoutSamplesTheEstimateDecaysTowardsZero() {
        let ewma = LatencyEWMA(decay: tau, initial: .milliseconds(100), now: .zero)
        let later = ewma.estimate(now: at(10_000)).milliseconds
        #expect(abs(later - 36.788) < 0.01, "\(later)")
        var previous = ewma.estimate(now: .zero)
        for s: Int64 in 1...20 {
            let next = ewma.estimate(now: at(s * 5_000))
            #expect(next < previous && next >= .zero)
            previous = next
        }
        // Time going backwards is treated as no time passing.
        #expect(ewma.estimate(now: at(-5_000)) == .milliseconds(100))
    }
}
