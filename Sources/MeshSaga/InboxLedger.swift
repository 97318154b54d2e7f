/// What an inbox should do with an arriving event.
public enum InboxDecision: Hashable, Sendable {
    /// Not seen before: handle it and record its marker atomically with the effects.
    case apply
    /// Already applied (its marker is in the consumer's log): acknowledge without a second effect.
    case duplicate
}

/// The pure dedupe state of an inbox: which event ids the consumer has applied, per origin.
///
/// It is rebuilt on open by feeding every inbox marker found in the consumer's own log to `markApplied`,
/// and afterwards updated only after the record carrying the marker is durable. Origins with different
/// epochs are independent, so a recreated producer log (new epoch) starts again at sequence 1.
public struct InboxLedger: Hashable, Sendable {
    public private(set) var origins: [EventOrigin: AppliedSequences] = [:]

    public init() {}

    /// Restores a ledger saved from `origins` (a snapshot).
    public init(origins: [EventOrigin: AppliedSequences]) { self.origins = origins }

    public func decide(_ id: EventID) -> InboxDecision {
        origins[id.origin]?.contains(id.sequence) == true ? .duplicate : .apply
    }

    /// Records `id` as applied. Returns false if it already was.
    @discardableResult
    public mutating func markApplied(_ id: EventID) -> Bool {
        origins[id.origin, default: AppliedSequences()].insert(id.sequence)
    }

    /// Highest contiguous applied sequence per origin (0 for unknown origins).
    public func highWater(of origin: EventOrigin) -> UInt64 { origins[origin]?.highWater ?? 0 }
}
