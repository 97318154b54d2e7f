import MeshCore

/// Member names by deadline, earliest first; among equal deadlines, the first pushed. Used for
/// suspicion deadlines so a node with many running suspicions neither scans them per tick nor per
/// `nextDeadline`. Entries are not removed when a deadline changes: the owner records the current
/// deadline per name and skips popped entries that no longer match it.
struct DeadlineQueue: Sendable {
    private struct Entry: Comparable, Sendable {
        var deadline: MeshInstant
        var order: UInt64
        var name: String

        static func < (a: Entry, b: Entry) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order
        }

        static func == (a: Entry, b: Entry) -> Bool { a.deadline == b.deadline && a.order == b.order }
    }

    private var heap = MinHeap<Entry>()
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var earliest: MeshInstant? { heap.min?.deadline }

    mutating func push(_ name: String, at deadline: MeshInstant) {
        counter += 1
        heap.push(Entry(deadline: deadline, order: counter, name: name))
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: MeshInstant) -> (name: String, deadline: MeshInstant)? {
        guard let first = heap.min, first.deadline <= now else { return nil }
        _ = heap.popMin()
        return (first.name, first.deadline)
    }
}
