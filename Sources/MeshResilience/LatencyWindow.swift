import MeshCore

/// The most recent `capacity` latencies of successful calls, for choosing a hedge delay from what a peer
/// or method has actually shown (e.g. its p95) instead of a guessed constant.
///
/// A ring buffer: recording costs O(1); a quantile sorts a copy (O(n log n)), so ask for it once per call
/// at most. Invariant: `count ≤ capacity`, and the window holds exactly the last `count` recorded values.
public struct LatencyWindow: Sendable {
    public let capacity: Int
    private var samples: [MeshDuration] = []
    private var nextSlot = 0

    public init(capacity: Int = 128) throws(ResilienceConfigurationError) {
        try ResilienceConfigurationError.require(capacity >= 1, "a latency window holds at least 1 sample, got \(capacity)")
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
    }

    /// The `q`-quantile (0...1, nearest rank: the smallest sample with at least `q` of the samples at or
    /// below it); nil while the window is empty.
    public func quantile(_ q: Double) -> MeshDuration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((min(max(q, 0), 1) * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }
}
