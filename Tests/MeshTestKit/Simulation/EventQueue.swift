import MeshCore

/// A binary min-heap of simulator events ordered by time, then by insertion sequence, so runs
/// with the same seed process events in exactly the same order.
struct EventQueue<Payload> {
    struct Entry {
        var time: MeshInstant
        var sequence: UInt64
        var payload: Payload
    }

    private var heap: [Entry] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: MeshInstant? { heap.first?.time }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.time != b.time ? a.time < b.time : a.sequence < b.sequence
    }

    /// Adds an event; returns its sequence number.
    @discardableResult
    mutating func push(_ payload: Payload, at time: MeshInstant) -> UInt64 {
        counter += 1
        heap.append(Entry(time: time, sequence: counter, payload: payload))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        return counter
    }

    mutating func pop() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.less(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
