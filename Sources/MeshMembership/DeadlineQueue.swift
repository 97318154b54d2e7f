import MeshCore

/// A min-heap of (deadline, member name), earliest first; among equal deadlines, the first pushed.
/// Used for suspicion deadlines so a node with many running suspicions neither scans them per tick
/// nor per `nextDeadline`. Entries are not removed when a deadline changes: the owner records the
/// current deadline per name and skips popped entries that no longer match it.
struct DeadlineQueue: Sendable {
    private struct Entry: Sendable {
        var deadline: MeshInstant
        var order: UInt64
        var name: String
    }

    private var heap: [Entry] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var earliest: MeshInstant? { heap.first?.deadline }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order
    }

    mutating func push(_ name: String, at deadline: MeshInstant) {
        counter += 1
        heap.append(Entry(deadline: deadline, order: counter, name: name))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: MeshInstant) -> (name: String, deadline: MeshInstant)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
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
        return (first.name, first.deadline)
    }
}
