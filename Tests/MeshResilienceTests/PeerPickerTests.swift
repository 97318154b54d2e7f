import MeshCore
import MeshResilience
import Testing

@Suite("Peer picking: power of two choices")
struct PeerPickerTests {
    let picker = PeerPicker()

    func peer(_ id: String, outstanding: Int = 0, latencyMs: Int64 = 10, available: Bool = true) -> PeerLoad {
        PeerLoad(id: id, outstanding: outstanding, ewmaLatency: .milliseconds(latencyMs), available: available)
    }

    @Test func neverPicksAnUnavailablePeer() {
        var rng = SeededRandom(seed: 3)
        #expect(picker.pick([], using: &rng) == nil)
        #expect(picker.pick([peer("a", available: false), peer("b", available: false)], using: &rng) == nil)
        for _ in 0..<200 {
            let only = [peer("a", available: false), peer("b"), peer("c", outstanding: 0, available: false)]
            #expect(picker.pick(only, using: &rng) == "b")
        }
        for _ in 0..<2_000 {
            let candidates = (0..<6).map { i in
                peer(
                    "p\(i)", outstanding: Int(rng.next() % 5), latencyMs: Int64(rng.next() % 50),
                    available: rng.next() % 2 == 0)
            }
            let picked = picker.pick(candidates, using: &rng)
            let availableIDs = Set(candidates.filter(\.available).map(\.id))
            if availableIDs.isEmpty {
                #expect(picked == nil)
            } else {
                #expect(picked.map { availableIDs.contains($0) } == true)
            }
        }
    }

    @Test func prefersTheLessLoadedAndTheFaster() {
        var rng = SeededRandom(seed: 4)
        for _ in 0..<500 {
            #expect(picker.pick([peer("busy", outstanding: 5), peer("idle")], using: &rng) == "idle")
            #expect(picker.pick([peer("slow", latencyMs: 90), peer("fast", latencyMs: 20)], using: &rng) == "fast")
            // 1 outstanding at 10 ms (cost 20) beats 0 outstanding at 30 ms (cost 30).
            #expect(
                picker.pick([peer("cold", latencyMs: 30), peer("warm", outstanding: 1)], using: &rng) == "warm")
        }
        // With three peers the worst one always loses its comparison, so it is never picked.
        var counts: [String: Int] = [:]
        for _ in 0..<3_000 {
            let candidates = [peer("a"), peer("b", outstanding: 1), peer("worst", outstanding: 9)]
            counts[picker.pick(candidates, using: &rng)!, default: 0] += 1
        }
        #expect(counts["worst"] == nil)
        #expect(counts["a", default: 0] > counts["b", default: 0])
    }

    @Test func spreadsEvenlyAmongEqualPeers() {
        var rng = SeededRandom(seed: 5)
        let candidates = (0..<5).map { peer("p\($0)") } + [peer("down", available: false)]
        var counts: [String: Int] = [:]
        let picks = 50_000
        for _ in 0..<picks { counts[picker.pick(candidates, using: &rng)!, default: 0] += 1 }
        #expect(counts.count == 5)
        for (id, count) in counts {
            let share = Double(count) / Double(picks)
            #expect(abs(share - 0.2) < 0.02, "\(id) got \(share)")
        }
    }

    @Test func costCountsLoadEvenWithoutALatencyEstimate() {
        #expect(peer("x", outstanding: 2, latencyMs: 0).cost > peer("y", outstanding: 1, latencyMs: 0).cost)
        #expect(peer("x", outstanding: 0, latencyMs: 10).cost == 10_000_000)
    }
}
