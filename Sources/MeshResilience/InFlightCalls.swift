import MeshCore

/// The calls a breaker admitted and has not heard back from, one slot per call. A permit names its slot, so
/// admitting a call and handing its permit back cost no hashing; freed slots are reused through a free list.
struct InFlightCalls: Sendable {
    struct Call: Sendable {
        var startedAt: MeshInstant
        var isTrial: Bool
        /// Set once the call has been counted as slow while still running.
        var slowSample: OutcomeWindow.SampleRef?
    }

    /// `id` 0 marks a free slot (permit ids start at 1).
    private var slots: [(id: UInt64, call: Call)] = []
    private var free: [Int] = []
    private(set) var count = 0

    /// Adds the call of permit `id`; returns its slot.
    mutating func insert(_ id: UInt64, _ call: Call) -> Int {
        count += 1
        if let slot = free.popLast() {
            slots[slot] = (id, call)
            return slot
        }
        slots.append((id, call))
        return slots.count - 1
    }

    /// Removes and returns the call of permit `id`, which was given `slot` (nil = unknown: searched for); nil if no
    /// such call is in flight (already handed back, or forgotten by `removeAll`).
    mutating func remove(_ id: UInt64, slot: Int?) -> Call? {
        guard let slot = slot ?? slots.firstIndex(where: { $0.id == id }), slots.indices.contains(slot),
            slots[slot].id == id
        else { return nil }
        slots[slot].id = 0
        free.append(slot)
        count -= 1
        return slots[slot].call
    }

    /// The calls in flight, oldest permit first.
    var all: [(id: UInt64, slot: Int, call: Call)] {
        slots.indices.lazy.filter { self.slots[$0].id != 0 }.map { (self.slots[$0].id, $0, self.slots[$0].call) }
            .sorted { $0.id < $1.id }
    }

    /// Marks the call in `slot` as counted slow by `sample`.
    mutating func markSlow(_ slot: Int, _ sample: OutcomeWindow.SampleRef) { slots[slot].call.slowSample = sample }

    mutating func removeAll() {
        slots.removeAll(keepingCapacity: true)
        free.removeAll(keepingCapacity: true)
        count = 0
    }
}
