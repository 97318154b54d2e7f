import MeshWire

/// Updates waiting to be piggybacked, at most one per member (a newer statement replaces the
/// older one). Least-sent updates go first, oldest first among equals; an update leaves after
/// `limit` transmissions.
///
/// Kept ordered by transmit count: one FIFO lane per count, so `take` visits only what it sends
/// (plus entries too large for the rest of the budget) instead of sorting the whole queue. Lanes
/// hold names; a lane slot whose entry was replaced, moved or removed is stale and skipped.
struct BroadcastQueue: Sendable {
    private struct Entry: Sendable {
        var update: MemberUpdate
        var size: Int
        var transmits: Int
        /// Identifies the lane slot holding this entry (slots with another stamp are stale).
        var stamp: UInt64
    }

    private struct Slot: Sendable {
        var name: String
        var stamp: UInt64
    }

    private struct Lane: Sendable {
        var slots: [Slot] = []
        var head = 0

        var isEmpty: Bool { head >= slots.count }

        mutating func compact() {
            guard head > 64, head * 2 > slots.count else { return }
            slots.removeFirst(head)
            head = 0
        }
    }

    private var entries: [String: Entry] = [:]
    private var lanes: [Lane] = []
    private var counter: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    mutating func enqueue(_ update: MemberUpdate) {
        // Key + length prefix overhead of a nested field is at most 4 bytes for updates under 2 MiB.
        place(Entry(update: update, size: update.encoded().count + 4, transmits: 0, stamp: 0))
    }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// Takes up to `budget` bytes of updates, least transmitted first, counting one transmission each.
    mutating func take(budget: Int, limit: Int) -> [MemberUpdate] {
        guard !entries.isEmpty, budget > 0 else { return [] }
        var used = 0
        var out: [MemberUpdate] = []
        var sent: [Entry] = []
        for transmits in lanes.indices where used < budget {
            var lane = lanes[transmits]
            lanes[transmits] = Lane()  // keeps `lane` uniquely referenced while it changes
            var index = lane.head
            while index < lane.slots.count, used < budget {
                let slot = lane.slots[index]
                index += 1
                guard let entry = entries[slot.name], entry.stamp == slot.stamp else {
                    if index - 1 == lane.head { lane.head = index }  // stale at the front: drop it
                    continue
                }
                guard used + entry.size <= budget else { continue }
                used += entry.size
                out.append(entry.update)
                sent.append(entry)
                entries[slot.name] = nil  // its slot is stale now
                if index - 1 == lane.head { lane.head = index }
            }
            lane.compact()
            lanes[transmits] = lane
        }
        for var entry in sent where entry.transmits + 1 < limit {
            entry.transmits += 1
            place(entry)
        }
        return out
    }

    /// Stores `entry` and appends it to the lane of its transmit count.
    private mutating func place(_ entry: Entry) {
        var entry = entry
        counter += 1
        entry.stamp = counter
        entries[entry.update.name] = entry
        while lanes.count <= entry.transmits { lanes.append(Lane()) }
        lanes[entry.transmits].slots.append(Slot(name: entry.update.name, stamp: counter))
    }
}
