import MeshWire

/// Updates waiting to be piggybacked, at most one per member (a newer statement replaces the
/// older one). Least-sent updates go first; an update leaves after `limit` transmissions.
struct BroadcastQueue: Sendable {
    private struct Entry: Sendable {
        var update: MemberUpdate
        var size: Int
        var transmits: Int
        var order: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var counter: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    mutating func enqueue(_ update: MemberUpdate) {
        counter += 1
        // Key + length prefix overhead of a nested field is at most 4 bytes for updates under 2 MiB.
        entries[update.name] = Entry(update: update, size: update.encoded().count + 4, transmits: 0, order: counter)
    }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// Takes up to `budget` bytes of updates, least transmitted first, counting one transmission each.
    mutating func take(budget: Int, limit: Int) -> [MemberUpdate] {
        guard !entries.isEmpty, budget > 0 else { return [] }
        let ordered = entries.values.sorted { ($0.transmits, $0.order) < ($1.transmits, $1.order) }
        var used = 0
        var out: [MemberUpdate] = []
        for entry in ordered where used + entry.size <= budget {
            used += entry.size
            out.append(entry.update)
            if entry.transmits + 1 >= limit {
                entries[entry.update.name] = nil
            } else {
                entries[entry.update.name]?.transmits += 1
            }
        }
        return out
    }
}
