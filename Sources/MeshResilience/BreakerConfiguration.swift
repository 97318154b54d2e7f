import MeshCore

extension CircuitBreaker {
    /// How many recent calls a breaker judges the peer by.
    public enum Window: Hashable, Sendable {
        /// The last `n` finished (or already-slow) calls.
        case count(Int)
        /// The calls of the last `duration`, kept as `buckets` partial aggregates that expire one at a time.
        case time(MeshDuration, buckets: Int)
    }

    /// A breaker's tuning. Rates and thresholds are fractions in `0...1` (thresholds above 0);
    /// a threshold is reached when the rate is `>=` it.
    ///
    /// The defaults follow the Mesh design notes (saga.md §4.6): a 10 s time window in 1 s buckets, at least
    /// 20 calls, 50 % failures or 80 % calls slower than 1 s to open, 5 s open doubling up to 60 s on
    /// consecutive openings, and 3 trial calls in half-open.
    public struct Configuration: Hashable, Sendable {
        public var window: Window
        /// Open when at least this fraction of the calls in the window failed.
        public var failureRateThreshold: Double
        /// Open when at least this fraction of the calls in the window were slow.
        public var slowCallRateThreshold: Double
        /// A call taking this long or longer is slow, and counts as slow as soon as it has run this long.
        public var slowCallDuration: MeshDuration
        /// No rate is judged before the window holds this many calls.
        public var minimumCalls: Int
        /// How long the breaker stays open after its first opening (since it last closed).
        public var openWait: MeshDuration
        /// Each further opening without a close in between multiplies the wait by this factor (≥ 1).
        public var openWaitMultiplier: Double
        /// The open wait never exceeds this.
        public var maxOpenWait: MeshDuration
        /// How many trial calls half-open admits; all of them must succeed to close.
        public var halfOpenPermits: Int
        /// Which failure kinds count against the peer; other kinds are treated like `.ignored`.
        public var countedFailures: Set<FailureKind>

        public init(
            window: Window = .time(.milliseconds(10_000), buckets: 10),
            failureRateThreshold: Double = 0.5,
            slowCallRateThreshold: Double = 0.8,
            slowCallDuration: MeshDuration = .milliseconds(1_000),
            minimumCalls: Int = 20,
            openWait: MeshDuration = .milliseconds(5_000),
            openWaitMultiplier: Double = 2,
            maxOpenWait: MeshDuration = .milliseconds(60_000),
            halfOpenPermits: Int = 3,
            countedFailures: Set<FailureKind> = Set(FailureKind.allCases)
        ) {
            self.window = window
            self.failureRateThreshold = failureRateThreshold
            self.slowCallRateThreshold = slowCallRateThreshold
            self.slowCallDuration = slowCallDuration
            self.minimumCalls = minimumCalls
            self.openWait = openWait
            self.openWaitMultiplier = openWaitMultiplier
            self.maxOpenWait = maxOpenWait
            self.halfOpenPermits = halfOpenPermits
            self.countedFailures = countedFailures
        }

        /// The Mesh defaults (see the type's documentation).
        public static let `default` = Configuration()

        /// Throws when the configuration could never behave sensibly.
        public func validate() throws(ResilienceConfigurationError) {
            typealias E = ResilienceConfigurationError
            switch window {
            case .count(let n):
                try E.require(n >= 1, "count window must hold at least 1 call, got \(n)")
                try E.require(
                    minimumCalls <= n, .inconsistent,
                    "minimumCalls \(minimumCalls) exceeds the count window \(n): the breaker could never open")
            case .time(let duration, let buckets):
                try E.require(buckets >= 1, "time window needs at least 1 bucket, got \(buckets)")
                try E.require(
                    duration.nanoseconds >= Int64(buckets),
                    "time window \(duration) is too short for \(buckets) buckets")
            }
            try E.require(
                failureRateThreshold > 0 && failureRateThreshold <= 1,
                "failureRateThreshold must be in (0, 1], got \(failureRateThreshold)")
            try E.require(
                slowCallRateThreshold > 0 && slowCallRateThreshold <= 1,
                "slowCallRateThreshold must be in (0, 1], got \(slowCallRateThreshold)")
            try E.require(slowCallDuration > .zero, "slowCallDuration must be positive, got \(slowCallDuration)")
            try E.require(minimumCalls >= 1, "minimumCalls must be at least 1, got \(minimumCalls)")
            try E.require(openWait >= .zero, "openWait must not be negative, got \(openWait)")
            try E.require(openWaitMultiplier >= 1, "openWaitMultiplier must be >= 1, got \(openWaitMultiplier)")
            try E.require(maxOpenWait >= openWait, .inconsistent, "maxOpenWait \(maxOpenWait) < openWait \(openWait)")
            try E.require(halfOpenPermits >= 1, "halfOpenPermits must be at least 1, got \(halfOpenPermits)")
        }

        /// The open wait after `openings` consecutive openings (1 = first): `openWait·multiplier^(openings-1)`,
        /// capped at `maxOpenWait`.
        func openWait(afterOpenings openings: Int) -> MeshDuration {
            MeshDuration(
                nanoseconds: cappedExponential(
                    initial: openWait.nanoseconds, multiplier: openWaitMultiplier, steps: openings - 1,
                    cap: maxOpenWait.nanoseconds))
        }
    }
}
