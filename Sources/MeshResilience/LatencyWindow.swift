import MeshCore

/// The most recent `capacity` latencies of successful calls, for choosing a hedge delay from what a peer
/// or method has actually shown (e.g. its p95) instead of a guessed constant.
///
/// A ring buffer: recording costs O(1); `quantile` sorts a copy (O(n log n)), and `recentQuantile` sorts again
/// only every few samples, for asking once per call. Invariant: `count ≤ capacity`, and the window holds exactly
/// the last `count` recorded values.
public struct LatencyWindow: Sendable {
    public let capacity: Int
    private var samples: [MeshDuration] = []
    private var nextSlot = 0
    /// Samples recorded since the window was made.
    private var recorded = 0
    /// The last quantile `recentQuantile` computed, and when.
    private var cached: (quantile: Double, value: MeshDuration, recorded: Int)?

    public init(capacity: Int = 128) throws(ResilienceConfigurationError) {
        try ResilienceConfigurationError.require(
            capacity >= 1, "a latency window holds at least 1 sample, got \(capacity)")
        self.capacity = capacity
        samples.reserveCapacity(capacity)
    }

    /// How many samples the window holds.
    public var count: Int { samples.count }

    /// Adds one observed latency, replacing the oldest once the window is full. Negative values count as zero.
    public mutating func record(_ latency: MeshDuration) {
        let value = max(latency, .zero)
        if samples.count < capacity {
            samples.append(value)
        } else {
            samples[nextSlot] = value
        }
        nextSlot = (nextSlot + 1) % capacity
        recorded += 1
    }

    /// The `q`-quantile (0...1, nearest rank: the smallest sample with at least `q` of the samples at or
    /// below it); nil while the window is empty.
    public func quantile(_ q: Double) -> MeshDuration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((min(max(q, 0), 1) * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }

    /// `quantile(q)` as of at most `staleness − 1` samples ago: the window is sorted again only when `q` changed or
    /// `staleness` samples were recorded since the last sort, so asking once per call is O(1) most of the time.
    public mutating func recentQuantile(_ q: Double, staleness: Int = 16) -> MeshDuration? {
        if let c = cached, c.quantile == q, recorded - c.recorded < staleness { return c.value }
        guard let value = quantile(q) else { return nil }
        cached = (q, value, recorded)
        return value
    }
}
