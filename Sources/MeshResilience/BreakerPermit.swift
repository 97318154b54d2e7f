import MeshCore

/// Permission to make one call through a breaker. Every permit must be handed back exactly once, through
/// `CircuitBreaker.record` (with an outcome) or `CircuitBreaker.release` (cancelled/abandoned, no outcome).
///
/// A permit that outlives a state change is stale: handing it back is harmless and changes nothing.
public struct BreakerPermit: Hashable, Sendable, CustomStringConvertible {
    /// Unique within one breaker.
    public let id: UInt64
    /// When the call started; the call's duration is measured from here.
    public let startedAt: MeshInstant
    /// Whether this is one of the limited trial calls of half-open.
    public let isTrial: Bool
    /// The breaker's generation when the permit was issued; it changes on every state transition.
    public let generation: UInt64
    /// Where the breaker keeps the call while it is in flight (nil: not known, looked up by `id`).
    let slot: Int?

    public init(id: UInt64, startedAt: MeshInstant, isTrial: Bool, generation: UInt64) {
        self.init(id: id, startedAt: startedAt, isTrial: isTrial, generation: generation, slot: nil)
    }

    init(id: UInt64, startedAt: MeshInstant, isTrial: Bool, generation: UInt64, slot: Int?) {
        self.id = id
        self.startedAt = startedAt
        self.isTrial = isTrial
        self.generation = generation
        self.slot = slot
    }

    public var description: String { "permit#\(id)\(isTrial ? " (trial)" : "") gen \(generation) from \(startedAt)" }
}
