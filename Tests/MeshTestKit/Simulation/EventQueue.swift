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

    private struct Key: Comparable {
        var time: MeshInstant
        var sequence: UInt64
        var slot: Int

        static func < (a: Key, b: Key) -> Bool { a.time != b.time ? a.time < b.time : a.sequence < b.sequence }
        static func == (a: Key, b: Key) -> Bool { a.time == b.time && a.sequence == b.sequence }
    }

    private var heap = MinHeap<Key>()
    private var slots: [Payload?] = []
    private var freeSlots: [Int] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: MeshInstant? { heap.min?.time }

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
        heap.push(Key(time: time, sequence: counter, slot: slot))
        return counter
    }

    mutating func pop() -> Entry? {
        guard let top = heap.popMin(), let payload = slots[top.slot].take() else { return nil }
        freeSlots.append(top.slot)
        return Entry(time: top.time, sequence: top.sequence, payload: payload)
    }
}
