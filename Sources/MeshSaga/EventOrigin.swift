import MeshCore

/// Where an event was first logged: the producing node and the epoch of its log directory.
///
/// A log recreated from scratch gets a new random epoch, so `(node, epoch)` never names two different
/// histories and sequence 1 of a new log is not mistaken for sequence 1 of the old one.
public struct EventOrigin: Hashable, Sendable, CustomStringConvertible {
    public var node: NodeName
    public var epoch: UInt64

    public init(node: NodeName, epoch: UInt64) {
        self.node = node
        self.epoch = epoch
    }

    public var description: String { "\(node)@\(String(epoch, radix: 16))" }
}

/// Names one event globally: its origin and its sequence in the origin's log (≥ 1).
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    public var origin: EventOrigin
    public var sequence: UInt64

    public init(origin: EventOrigin, sequence: UInt64) {
        self.origin = origin
        self.sequence = sequence
    }

    public var description: String { "\(origin)#\(sequence)" }
}
