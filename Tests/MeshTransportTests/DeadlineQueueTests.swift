import NIOCore
import Testing

@testable import MeshTransport

@Suite("DeadlineQueue")
struct DeadlineQueueTests {
    static func at(_ ms: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + ms * 1_000_000)) }

    @Test func keepsEntriesSortedWhateverTheInsertionOrder() {
        var q = DeadlineQueue<Int>()
        for (id, ms) in [(1, 50), (2, 10), (3, 50), (4, 30), (5, 70), (6, 10)] {
            q.insert(Self.at(Int64(ms)), id, alive: 100) { _ in true }
        }
        #expect(q.entries.map(\.id) == [2, 6, 4, 1, 3, 5])
        #expect(q.earliest == Self.at(10))
    }

    @Test func popsOnlyDueLiveCallsAndSkipsEndedOnesAtTheFront() {
        var q = DeadlineQueue<Int>()
        for id in 1...5 { q.insert(Self.at(Int64(id * 10)), id, alive: 5) { _ in true } }
        let ended: Set<Int> = [2, 4]
        let expired = q.popExpired(now: Self.at(30)) { !ended.contains($0) }
        #expect(expired == [1, 3])
        // 4 ended: it no longer holds the front, so the timer is armed for 5.
        #expect(q.entries.map(\.id) == [5])
        #expect(q.earliest == Self.at(50))
    }

    @Test func compactionBoundsEntriesByLiveCalls() {
        var q = DeadlineQueue<Int>()
        var alive: Set<Int> = []
        for id in 0..<10_000 {
            alive.insert(id)
            if id >= 3 { alive.remove(id - 3) }  // three calls in flight at any time
            q.insert(Self.at(Int64(id)), id, alive: alive.count) { alive.contains($0) }
            #expect(q.count <= 2 * alive.count + 64)
        }
        #expect(Set(q.entries.map(\.id)).isSuperset(of: alive))
    }
}
