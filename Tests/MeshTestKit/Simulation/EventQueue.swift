import MeshCore

/// A binary min-heap of simulator events ordered by time, then by insertion sequence, so runs
/// with the same seed process events in exactly the same order.
///
/// The heap holds small keys only; payloads (messages with arrays inside) sit in a slot table and
/// are moved once on push and once on pop, never copied during the heap's swaps.
struct EventQueue<Payload> {
    struct Entry {
        var time: MeshInstant
        var sequence: UInt64
        var payload: Payload
    }

    private struct Key {
        var time: MeshInstant
        var sequence: UInt64
        var slot: Int
    }

    private var heap: [Key] = []
    private var slots: [Payload?] = []
    private var freeSlots: [Int] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: MeshInstant? { heap.first?.time }

    private static func less(_ a: Key, _ b: Key) -> Bool {
        a.time != b.time ? a.time < b.time : a.sequence < b.sequence
    }

    /// Adds an event; returns its sequence number.
    @discardableResult
    mutating func push(_ payload: Payload, at time: MeshInstant) -> UInt64 {
        counter += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = payload
        } else {
            slot = slots.count
            slots.append(payload)
        }
        heap.append(Key(time: time, sequence: counter, slot: slot))
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
        guard let payload = slots[top.slot].take() else { return nil }
        freeSlots.append(top.slot)
        return Entry(time: top.time, sequence: top.sequence, payload: payload)
    }
}
