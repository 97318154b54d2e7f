import MeshCore

/// A breaker changed state. Returned by every breaker operation that can cause one, for logs and metrics.
public struct BreakerTransition: Hashable, Sendable, CustomStringConvertible {
    public var from: CircuitBreaker.State
    public var to: CircuitBreaker.State
    /// Why, in words (e.g. "failure rate 60% >= 50% over 20 calls").
    public var reason: String
    public var at: MeshInstant

    public init(from: CircuitBreaker.State, to: CircuitBreaker.State, reason: String, at: MeshInstant) {
        self.from = from
        self.to = to
        self.reason = reason
        self.at = at
    }

    public var description: String { "\(from) -> \(to) at \(at): \(reason)" }
}
