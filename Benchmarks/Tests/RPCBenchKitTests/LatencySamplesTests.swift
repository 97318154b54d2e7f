import Testing

@testable import RPCBenchKit

@Suite struct LatencySamplesTests {
    @Test func nearestRankPercentilesOfOneToHundred() {
        let samples = LatencySamples(nanos: (1...100).reversed().map { UInt64($0) })
        #expect(samples.percentile(50) == 50)
        #expect(samples.percentile(99) == 99)
        #expect(samples.percentile(100) == 100)
        #expect(samples.percentile(0) == 1)
        #expect(samples.percentile(0.5) == 1)
        #expect(samples.percentile(250) == 100)
    }

    @Test func nearestRankRoundsUpOnSmallSets() {
        let samples = LatencySamples(nanos: [30, 10, 20])
        #expect(samples.percentile(50) == 20)
        #expect(samples.percentile(99) == 30)
        #expect(samples.percentile(33) == 10)
        #expect(samples.percentile(34) == 20)
    }

    @Test func emptySamplesHaveNoPercentiles() {
        let stats = LatencySamples().summary(windowNanos: 1_000_000_000)
        #expect(stats == CellStats(calls: 0, callsPerSecond: 0, p50Nanos: nil, p99Nanos: nil))
    }

    @Test func summaryDividesByTheWindowNotByTheLatencies() {
        var samples = LatencySamples()
        for latency in [5_000, 1_000, 3_000, 2_000] as [UInt64] { samples.record(latency) }
        let stats = samples.summary(windowNanos: 2_000_000_000)
        #expect(stats.calls == 4)
        #expect(stats.callsPerSecond == 2)
        #expect(stats.p50Nanos == 2_000)
        #expect(stats.p99Nanos == 5_000)
    }
}

@Suite struct MeasurementWindowTests {
    @Test func planPlacesTheWindowAfterWarmUp() {
        let plan = CellPlan(payloadSize: 64, concurrency: 4, warmUpNanos: 500, measureNanos: 3_000)
        #expect(plan.window(startingAt: 10_000) == MeasurementWindow(opensAt: 10_500, closesAt: 13_500))
        #expect(plan.window(startingAt: 10_000).durationNanos == 3_000)
    }

    @Test func onlyCallsEntirelyInsideTheWindowCount() {
        let window = MeasurementWindow(opensAt: 100, closesAt: 200)
        #expect(window.counts(sentAt: 100, receivedAt: 200))
        #expect(!window.counts(sentAt: 99, receivedAt: 150), "sent during warm-up")
        #expect(!window.counts(sentAt: 150, receivedAt: 201), "answered after the window closed")
        #expect(window.isOpen(at: 199))
        #expect(!window.isOpen(at: 200))
    }

    @Test func payloadIsDeterministicAndNotConstant() {
        let plan = CellPlan(payloadSize: 4096, concurrency: 1, warmUpNanos: 0, measureNanos: 1)
        let payload = plan.makePayload()
        #expect(payload.count == 4096)
        #expect(payload == plan.makePayload())
        #expect(Array(payload.prefix(3)) == [7, 38, 69])
        #expect(Set(payload).count > 1)
    }
}
