/// The sequences of one origin that a consumer has applied, kept compactly.
///
/// Invariant: every sequence in `1...highWater` is applied; `above` holds exactly the applied sequences greater
/// than `highWater + 1` (so `highWater + 1` itself is never in `above`). Memory is proportional to the number
/// of out-of-order arrivals, not to the number of events.
public struct AppliedSequences: Hashable, Sendable {
    public private(set) var highWater: UInt64 = 0
    public private(set) var above: Set<UInt64> = []

    public init() {}

    /// Restores a value saved from `highWater` and `above` (a snapshot); sequences in `above` at or below
    /// `highWater + 1` are folded in, so the invariant holds whatever was saved.
    public init(highWater: UInt64, above: some Sequence<UInt64>) {
        self.highWater = highWater
        for sequence in above { insert(sequence) }
    }

    public func contains(_ sequence: UInt64) -> Bool {
        sequence <= highWater || above.contains(sequence)
    }

    /// Marks `sequence` applied. Returns false (and changes nothing) if it already was.
    @discardableResult
    public mutating func insert(_ sequence: UInt64) -> Bool {
        guard !contains(sequence) else { return false }
        if sequence == highWater + 1 {
            highWater = sequence
            while above.remove(highWater + 1) != nil { highWater += 1 }
        } else {
            above.insert(sequence)
        }
        return true
    }
}
