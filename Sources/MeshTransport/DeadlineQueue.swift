import NIOCore

/// Deadlines of a connection's calls, earliest first, watched by one timer instead of a scheduled task per
/// call (each of which costs allocations, a lock and a linear search to cancel).
///
/// Lazy: a call that ends is not removed; its entry is skipped when it reaches the front (`isAlive` says
/// false) or dropped by a compaction. Invariants: entries are sorted by deadline (ties in insertion order);
/// after `insert`, the entries number at most `2 × alive + 64` (each compaction at least halves them, so the
/// cost is amortized O(1) per insert).
struct DeadlineQueue<ID: Hashable> {
    private(set) var entries = CircularBuffer<(deadline: NIODeadline, id: ID)>()

    var earliest: NIODeadline? { entries.first?.deadline }
    var count: Int { entries.count }

    /// Adds `id`'s deadline (usually an append: calls tend to share one timeout). `alive` counts the calls
    /// still running and `isAlive` tells them apart, for the compaction.
    mutating func insert(_ deadline: NIODeadline, _ id: ID, alive: Int, isAlive: (ID) -> Bool) {
        if let last = entries.last, last.deadline > deadline {
            var i = entries.endIndex
            while i > entries.startIndex, entries[entries.index(before: i)].deadline > deadline {
                i = entries.index(before: i)
            }
            entries.insert((deadline, id), at: i)
        } else {
            entries.append((deadline, id))
        }
        if entries.count > 2 * alive + 64 { entries.removeAll { !isAlive($0.id) } }
    }

    /// Removes and returns the ids whose deadline is at or before `now` (ended calls included: the caller
    /// ignores those), then drops ended calls from the front so `earliest` is a live call's.
    mutating func popExpired(now: NIODeadline, isAlive: (ID) -> Bool) -> [ID] {
        var expired: [ID] = []
        while let first = entries.first, first.deadline <= now {
            entries.removeFirst()
            if isAlive(first.id) { expired.append(first.id) }
        }
        while let first = entries.first, !isAlive(first.id) { entries.removeFirst() }
        return expired
    }

    mutating func removeAll() { entries.removeAll() }
}
