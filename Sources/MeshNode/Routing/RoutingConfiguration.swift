import MeshCore
import MeshResilience

/// How a `PeerRouter` chooses and protects peers.
public struct RoutingConfiguration: Sendable {
    /// The per-peer breakers' tuning; nil turns breakers off (peers are then skipped only when membership
    /// marks them unavailable).
    public var breakers: CircuitBreaker.Configuration?
    /// How many peers one idempotent call may try (1 = no failover). Commands are never sent twice.
    public var maxAttempts: Int
    /// Caps failover attempts to a fraction of first attempts, so a failing peer cannot multiply the load.
    public var failoverBudget: RetryBudget.Configuration
    /// The time constant of each peer's latency estimate.
    public var latencyDecay: MeshDuration
    /// Seeds the router's random choices (fixed in tests, random in production).
    public var seed: UInt64

    public init(
        breakers: CircuitBreaker.Configuration? = .default,
        maxAttempts: Int = 2,
        failoverBudget: RetryBudget.Configuration = .default,
        latencyDecay: MeshDuration = .seconds(10),
        seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    ) {
        self.breakers = breakers
        self.maxAttempts = maxAttempts
        self.failoverBudget = failoverBudget
        self.latencyDecay = latencyDecay
        self.seed = seed
    }

    /// Throws `invalidConfiguration` when a setting is out of range (including the breakers' own).
    public func validate() throws(RoutingError) {
        guard maxAttempts >= 1 else {
            throw RoutingError(.invalidConfiguration, "maxAttempts must be at least 1, got \(maxAttempts)")
        }
        guard latencyDecay > .zero else {
            throw RoutingError(.invalidConfiguration, "latencyDecay must be positive, got \(latencyDecay)")
        }
        do {
            try breakers?.validate()
            try failoverBudget.validate()
        } catch {
            throw RoutingError(.invalidConfiguration, "\(error)", cause: error)
        }
    }
}
