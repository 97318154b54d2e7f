import MeshCore

/// Exponential backoff with full jitter: the delay before retry number `attempt` (0 = the first retry) is
/// uniform in `0...min(max, initial · multiplier^attempt)` (AWS "Exponential Backoff and Jitter", gRFC A6).
///
/// Full jitter spreads retrying callers evenly, so they do not come back in synchronised waves.
public struct Backoff: Hashable, Sendable {
    public var initial: MeshDuration
    public var multiplier: Double
    public var max: MeshDuration

    public init(initial: MeshDuration, multiplier: Double, max: MeshDuration) {
        self.initial = initial
        self.multiplier = multiplier
        self.max = max
    }

    /// gRFC A6's example call policy: 100 ms, ×2, at most 1 s.
    public static let `default` = Backoff(initial: .milliseconds(100), multiplier: 2, max: .milliseconds(1_000))

    public func validate() throws(ResilienceConfigurationError) {
        typealias E = ResilienceConfigurationError
        try E.require(initial >= .zero, "backoff initial must not be negative, got \(initial)")
        try E.require(multiplier >= 1, "backoff multiplier must be >= 1, got \(multiplier)")
        try E.require(max >= initial, .inconsistent, "backoff max \(max) < initial \(initial)")
    }

    /// The upper bound of the delay before retry number `attempt` (0-based): `min(max, initial·multiplier^attempt)`.
    public func ceiling(attempt: Int) -> MeshDuration {
        MeshDuration(
            nanoseconds: cappedExponential(
                initial: initial.nanoseconds, multiplier: multiplier, steps: attempt, cap: max.nanoseconds))
    }

    /// A delay drawn uniformly from `0...ceiling(attempt:)`.
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> MeshDuration {
        let bound = ceiling(attempt: attempt).nanoseconds
        guard bound > 0 else { return .zero }
        return MeshDuration(nanoseconds: Int64.random(in: 0...bound, using: &rng))
    }
}
