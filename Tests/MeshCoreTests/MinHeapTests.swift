import MeshCore
import Testing

@Suite("MinHeap")
struct MinHeapTests {
    @Test("pops in ascending order whatever the push order, and min peeks without removing")
    func ascending() {
        var rng = SeededRandom(seed: 11)
        let values = (0..<200).map { _ in Int.random(in: -50...50, using: &rng) }
        var heap = MinHeap<Int>()
        for value in values { heap.push(value) }
        #expect(heap.count == 200 && heap.min == values.min())
        var popped: [Int] = []
        while let value = heap.popMin() { popped.append(value) }
        #expect(popped == values.sorted())
        #expect(heap.isEmpty && heap.popMin() == nil)
    }
}
