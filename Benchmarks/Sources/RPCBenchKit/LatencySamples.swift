/// Per-call latencies of one cell, in nanoseconds. Percentiles are exact (nearest-rank over the sorted samples),
/// so no histogram resolution is involved.
public struct LatencySamples: Hashable, Sendable {
    public private(set) var nanos: [UInt64]

    public init(nanos: [UInt64] = []) { self.nanos = nanos }

    public var count: Int { nanos.count }

    public mutating func record(_ latency: UInt64) { nanos.append(latency) }

    public mutating func append(contentsOf other: [UInt64]) { nanos.append(contentsOf: other) }

    /// Nearest-rank percentile: the smallest sample such that at least `percent`% of samples are ≤ it.
    /// `nil` when there are no samples. `percent` is clamped to 0...100.
    public func percentile(_ percent: Double) -> UInt64? {
        LatencySamples.percentile(percent, ofSorted: nanos.sorted())
    }

    /// Summarises the cell: throughput over `windowNanos` and p50/p99.
    public func summary(windowNanos: UInt64) -> CellStats {
        let sorted = nanos.sorted()
        let seconds = Double(windowNanos) / 1e9
        return CellStats(
            calls: sorted.count,
            callsPerSecond: seconds > 0 ? Double(sorted.count) / seconds : 0,
            p50Nanos: LatencySamples.percentile(50, ofSorted: sorted),
            p99Nanos: LatencySamples.percentile(99, ofSorted: sorted)
        )
    }

    static func percentile(_ percent: Double, ofSorted sorted: [UInt64]) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let clamped = min(max(percent, 0), 100)
        let rank = Int((clamped / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }
}

/// The numbers one cell contributes to the table. Latencies are `nil` when no call completed in the window.
public struct CellStats: Hashable, Sendable {
    public var calls: Int
    public var callsPerSecond: Double
    public var p50Nanos: UInt64?
    public var p99Nanos: UInt64?
    /// CPU time of client and server processes together per call, over the whole cell (warm-up included, so
    /// it is an estimate at the cell's steady rate); nil when the server's CPU time could not be read.
    public var cpuNanosPerCall: Double?

    public init(
        calls: Int, callsPerSecond: Double, p50Nanos: UInt64?, p99Nanos: UInt64?, cpuNanosPerCall: Double? = nil
    ) {
        self.calls = calls
        self.callsPerSecond = callsPerSecond
        self.p50Nanos = p50Nanos
        self.p99Nanos = p99Nanos
        self.cpuNanosPerCall = cpuNanosPerCall
    }
}
