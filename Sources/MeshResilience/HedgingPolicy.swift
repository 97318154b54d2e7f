import MeshCore

/// When a query is hedged: after `delay` without an answer, another attempt is sent to race the first
/// (the first success wins, the others are cancelled), up to `maxAttempts` attempts in all.
///
/// Only queries are hedged: a hedge runs the request twice at once, which only a read-only call tolerates.
/// Hedges are bounded by a `HedgeBudget` so a slow peer cannot double the load on itself.
public struct HedgingPolicy: Hashable, Sendable {
    /// How long to wait for an answer before sending the next attempt.
    public enum Delay: Hashable, Sendable {
        /// Always this long.
        case fixed(MeshDuration)
        /// The `quantile` (e.g. 0.95) of recently observed latencies, at least `floor`; `fallback` until
        /// `minimumSamples` latencies have been observed.
        case observed(quantile: Double, floor: MeshDuration, fallback: MeshDuration)
    }

    /// Attempts in all, the first included (1 = never hedge).
    public var maxAttempts: Int
    public var delay: Delay
    /// Observed latencies needed before `.observed` trusts the window over its fallback.
    public var minimumSamples: Int

    public init(maxAttempts: Int = 2, delay: Delay, minimumSamples: Int = 20) {
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.minimumSamples = minimumSamples
    }

    public func validate() throws(ResilienceConfigurationError) {
        typealias E = ResilienceConfigurationError
        try E.require(maxAttempts >= 1, "hedging maxAttempts must be at least 1, got \(maxAttempts)")
        try E.require(minimumSamples >= 1, "hedging minimumSamples must be at least 1, got \(minimumSamples)")
        switch delay {
        case .fixed(let d):
            try E.require(d >= .zero, "a hedge delay must not be negative, got \(d)")
        case .observed(let q, let floor, let fallback):
            try E.require(q > 0 && q <= 1, "a hedge delay quantile must be in (0, 1], got \(q)")
            try E.require(floor >= .zero, "a hedge delay floor must not be negative, got \(floor)")
            try E.require(fallback >= .zero, "a hedge delay fallback must not be negative, got \(fallback)")
        }
    }

    /// How long to wait after one attempt starts before sending the next, given recent latencies.
    public func hedgeDelay(observed window: LatencyWindow) -> MeshDuration {
        hedgeDelay(samples: window.count) { window.quantile($0) }
    }

    /// As `hedgeDelay(observed:)`, with the window's quantile re-sorted only every few samples
    /// (`LatencyWindow.recentQuantile`): for asking once per call.
    public func hedgeDelay(observing window: inout LatencyWindow) -> MeshDuration {
        hedgeDelay(samples: window.count) { window.recentQuantile($0) }
    }

    private func hedgeDelay(samples: Int, _ quantile: (Double) -> MeshDuration?) -> MeshDuration {
        switch delay {
        case .fixed(let d):
            return d
        case .observed(let q, let floor, let fallback):
            guard samples >= minimumSamples, let measured = quantile(q) else { return fallback }
            return max(measured, floor)
        }
    }
}
