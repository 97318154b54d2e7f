import MeshCore

/// Caps hedges to a peer the way `RetryBudget` caps retries: every original call deposits `ratio` tokens,
/// every hedge takes one, and a reserve of `minRetriesPerSecond · ttl` lets a quiet peer still be hedged.
/// So over any `ttl`, hedges ≤ `ratio` · calls + reserve, whatever the peer's latency does.
public struct HedgeBudget: Sendable {
    /// 5 % of calls plus 1 hedge per second, over 10 s: hedging should cut the tail, not add load.
    public static let defaultConfiguration = RetryBudget.Configuration(ratio: 0.05, minRetriesPerSecond: 1)

    private var tokens: RetryBudget

    public init(configuration: RetryBudget.Configuration = HedgeBudget.defaultConfiguration)
        throws(ResilienceConfigurationError)
    {
        tokens = try RetryBudget(configuration: configuration)
    }

    public var configuration: RetryBudget.Configuration { tokens.configuration }

    /// A call was started (its first attempt): deposit `ratio` tokens.
    public mutating func recordCall(now: MeshInstant) { tokens.recordRequest(now: now) }

    /// Takes one token for a hedge if there is one; returns whether the hedge may be sent.
    public mutating func tryWithdraw(now: MeshInstant) -> Bool { tokens.tryWithdraw(now: now) }

    /// How many hedges the budget would allow right now (may be fractional).
    public func balance(now: MeshInstant) -> Double { tokens.balance(now: now) }
}
