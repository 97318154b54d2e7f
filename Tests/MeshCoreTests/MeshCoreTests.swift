import MeshCore
import MeshTestKit
import Testing

@Suite("MeshCore values")
struct MeshCoreTests {
    @Test func seededRandomIsReplayableAndSeedsDiffer() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        var c = SeededRandom(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        #expect(Set(first).count == 8)
    }

    @Test func seededRandomIsRoughlyUniform() {
        var rng = SeededRandom(seed: 7)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { buckets[Int.random(in: 0..<10, using: &rng)] += 1 }
        for count in buckets { #expect((9_500...10_500).contains(count), "\(buckets)") }
    }

    @Test func durationsAndInstantsAddUp() {
        let t = MeshInstant.zero + .seconds(2) + .milliseconds(500)
        #expect(t.nanoseconds == 2_500_000_000)
        #expect(t - MeshInstant(nanoseconds: 500_000_000) == .seconds(2))
        #expect(MeshDuration.seconds(fractional: 0.25) == .milliseconds(250))
        #expect(MeshDuration.milliseconds(3) * 2 == .microseconds(6_000))
        #expect(MeshDuration.seconds(3) / 3 == .seconds(1))
        #expect("\(MeshDuration.milliseconds(1500))" == "1.5s")
        #expect("\(MeshDuration.microseconds(12))" == "12.0µs")
    }

    @Test func theManualClockMovesOnlyWhenTold() {
        let clock = ManualClock()
        #expect(clock.now() == .zero)
        clock.advance(by: .seconds(1))
        #expect(clock.now() == MeshInstant(nanoseconds: 1_000_000_000))
        clock.set(MeshInstant(nanoseconds: 5))
        #expect(clock.now().nanoseconds == 5)
    }

    @Test func theSystemClockIsMonotonic() {
        let clock = SystemClock()
        let a = clock.now()
        let b = clock.now()
        #expect(b >= a)
    }
}
