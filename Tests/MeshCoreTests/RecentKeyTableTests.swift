import MeshCore
import Testing

@Suite("RecentKeyTable")
struct RecentKeyTableTests {
    @Test func behavesAsADictionaryInInsertionOrder() {
        var table = RecentKeyTable<String, Int>()
        #expect(table.modify("a") { $0 += 1 } == nil)
        for key in ["b", "a", "b", "c", "b", "a"] where table.modify(key, { $0 += 1 }) == nil { table.insert(key, 1) }
        #expect(table.allKeys == ["b", "a", "c"])
        #expect(table["b"] == 3 && table["a"] == 2 && table["c"] == 1 && table["d"] == nil)
        #expect(
            table.modify("c") { v -> Int in
                v *= 10
                return v
            } == 10)
        #expect(table.count == 3)
    }

    @Test func removalKeepsEveryOtherKeyFindableAndForgetsTheRemoved() {
        var table = RecentKeyTable<String, Int>()
        for (i, key) in ["p1/a", "p2/a", "p1/b", "p3/a"].enumerated() { table.insert(key, i) }
        // The last key used sits at slot 3; removing shifts every later slot.
        table.removeAll { $0.hasPrefix("p1/") }
        #expect(table.allKeys == ["p2/a", "p3/a"])
        #expect(table["p3/a"] == 3 && table["p2/a"] == 1 && table["p1/a"] == nil && table["p1/b"] == nil)
        #expect(table.modify("p1/b") { _ in } == nil)
        table.insert("p1/b", 9)
        table.modify("p1/b") { $0 += 1 }
        #expect(table["p1/b"] == 10 && table.allKeys == ["p2/a", "p3/a", "p1/b"])
    }
}
