import MeshCore

/// Caps the extra load retries may add to one peer, like Finagle's `RetryBudget` and tower's `Budget`.
///
/// Every original request deposits `ratio` tokens and every retry withdraws one. Deposits and withdrawals
/// expire after `ttl`, and a standing reserve of `minRetriesPerSecond · ttl` tokens lets a quiet peer still be
/// retried. So over any `ttl`, retries ≤ `ratio` · requests + `minRetriesPerSecond` · `ttl`: when a peer fails
/// everything, callers add at most that fraction of load on top, instead of multiplying it.
///
/// Retries must not deposit (call `recordRequest` for first attempts only). Tokens are counted in thousandths,
/// so the arithmetic is exact.
public struct RetryBudget: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Tokens deposited per original request: the fraction of requests that may be retried.
        public var ratio: Double
        /// Retries allowed per second even with no recent requests.
        public var minRetriesPerSecond: Double
        /// How long deposits and withdrawals count.
        public var ttl: MeshDuration

        public init(ratio: Double = 0.1, minRetriesPerSecond: Double = 1, ttl: MeshDuration = .milliseconds(10_000)) {
            self.ratio = ratio
            self.minRetriesPerSecond = minRetriesPerSecond
            self.ttl = ttl
        }

        /// 10 % of requests plus 1 retry per second, over 10 s (the Mesh design notes).
        public static let `default` = Configuration()

        public func validate() throws(ResilienceConfigurationError) {
            typealias E = ResilienceConfigurationError
            try E.require(ratio >= 0 && ratio <= 1_000, "retry budget ratio must be in 0...1000, got \(ratio)")
            try E.require(minRetriesPerSecond >= 0, "minRetriesPerSecond must not be negative")
            try E.require(ttl >= .milliseconds(10), "retry budget ttl must be at least 10 ms, got \(ttl)")
        }
    }

    private struct Bucket: Sendable {
        var epoch: Int64
        /// Deposits minus withdrawals, in thousandths of a token.
        var net: Int64
    }

    private static let bucketCount = 10
    private static let milli: Double = 1_000

    public let configuration: Configuration
    private var buckets: [Bucket]
    private let slices: TimeSlice
    private let depositPerRequest: Int64
    private let reserve: Int64
    private var latestEpoch = Int64.min

    public init(configuration: Configuration = .default) throws(ResilienceConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.buckets = Array(repeating: Bucket(epoch: .min, net: 0), count: Self.bucketCount)
        self.slices = TimeSlice(width: configuration.ttl.nanoseconds / Int64(Self.bucketCount))
        self.depositPerRequest = Int64((configuration.ratio * Self.milli).rounded())
        self.reserve = Int64((configuration.minRetriesPerSecond * configuration.ttl.seconds * Self.milli).rounded())
    }

    /// An original (non-retry) request was sent: deposit `ratio` tokens.
    public mutating func recordRequest(now: MeshInstant) {
        add(depositPerRequest, now: now)
    }

    /// Takes one token for a retry if the budget has it; returns whether the retry may go ahead.
    public mutating func tryWithdraw(now: MeshInstant) -> Bool {
        guard available(now: now) >= Int64(Self.milli) else { return false }
        add(-Int64(Self.milli), now: now)
        return true
    }

    /// How many retries the budget would allow right now (may be fractional).
    public func balance(now: MeshInstant) -> Double { Double(available(now: now)) / Self.milli }

    private func available(now: MeshInstant) -> Int64 {
        let current = Swift.max(slices.number(of: now), latestEpoch)
        let oldest = current - Int64(buckets.count)
        return reserve + buckets.reduce(0) { sum, b in b.epoch > oldest && b.epoch <= current ? sum + b.net : sum }
    }

    private mutating func add(_ amount: Int64, now: MeshInstant) {
        let current = Swift.max(slices.number(of: now), latestEpoch)
        latestEpoch = current
        let slot = TimeSlice.slot(current, in: buckets.count)
        if buckets[slot].epoch != current { buckets[slot] = Bucket(epoch: current, net: 0) }
        buckets[slot].net += amount
    }
}
