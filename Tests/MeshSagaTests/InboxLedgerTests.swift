import MeshCore
import MeshSaga
import Testing

@Suite("Inbox dedupe ledger")
struct InboxLedgerTests {
    let a = EventOrigin(node: "orders-1", epoch: 0xA1)

    @Test func duplicateRedeliveryIsRecognised() {
        var ledger = InboxLedger()
        let id = EventID(origin: a, sequence: 1)
        #expect(ledger.decide(id) == .apply)
        let r1 = ledger.markApplied(id)
        #expect(r1)
        #expect(ledger.decide(id) == .duplicate)
        let r2 = ledger.markApplied(id)
        #expect(!r2)
    }

    @Test func newEpochStartsAgainAtSequenceOne() {
        var ledger = InboxLedger()
        for s in 1...5 { ledger.markApplied(EventID(origin: a, sequence: UInt64(s))) }
        let recreated = EventOrigin(node: "orders-1", epoch: 0xB2)
        #expect(ledger.decide(EventID(origin: recreated, sequence: 1)) == .apply)
        #expect(ledger.decide(EventID(origin: a, sequence: 1)) == .duplicate)
        #expect(ledger.highWater(of: recreated) == 0)
        #expect(ledger.highWater(of: a) == 5)
    }

    @Test func outOfOrderArrivalsCollapseIntoTheHighWaterMark() {
        var set = AppliedSequences()
        let r3 = set.insert(3)
        #expect(r3)
        let r4 = set.insert(5)
        #expect(r4)
        #expect(set.highWater == 0)
        #expect(set.above == [3, 5])
        #expect(!set.contains(2) && set.contains(3) && !set.contains(4))
        let r5 = set.insert(1)
        #expect(r5)
        #expect(set.highWater == 1)
        let r6 = set.insert(2)
        #expect(r6)
        #expect(set.highWater == 3)
        #expect(set.above == [5])
        let r7 = set.insert(4)
        #expect(r7)
        #expect(set.highWater == 5)
        #expect(set.above.isEmpty)
        let r8 = set.insert(4)
        #expect(!r8)
    }

    @Test func randomOrderMatchesANaiveSet() {
        var rng = SeededRandom(seed: 42)
        var order = Array(UInt64(1)...200)
        order.shuffle(using: &rng)
        var set = AppliedSequences()
        var naive = Set<UInt64>()
        for (i, s) in order.enumerated() {
            let fresh = set.insert(s)
            #expect(fresh == naive.insert(s).inserted)
            if i % 3 == 0 {
                let r9 = set.insert(order[i / 2])
                #expect(!r9)
            }
            let expectedHigh = (0...200).first { !naive.contains(UInt64($0 + 1)) }.map(UInt64.init) ?? 200
            #expect(set.highWater == expectedHigh)
            #expect(set.above.allSatisfy { $0 > set.highWater + 1 })
        }
        #expect(set.highWater == 200 && set.above.isEmpty)
    }
}
