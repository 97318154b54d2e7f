import MeshCore

/// A read-only view of a breaker for metrics, logs and `meshprobe`.
public struct BreakerSnapshot: Hashable, Sendable {
    public var state: CircuitBreaker.State
    /// When the breaker entered `state`.
    public var since: MeshInstant
    /// The reason given for the last transition (empty before the first).
    public var lastReason: String
    /// The window's totals at the snapshot's time (empty outside closed).
    public var window: WindowTotals
    public var failureRate: Double { window.failureRate }
    public var slowCallRate: Double { window.slowCallRate }
    public var callsInWindow: Int { window.calls }
    /// Permits issued in the current generation and not yet handed back.
    public var inFlight: Int
    /// Calls refused since the breaker was created.
    public var rejected: Int
    /// Permits handed back that the breaker no longer tracked: stale (from before a transition) or duplicates.
    public var stalePermits: Int
    /// Increments on every transition; permits carry the generation they were issued in.
    public var generation: UInt64
}
