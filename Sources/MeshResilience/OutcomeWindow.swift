import MeshCore

/// Aggregate counts over a breaker's sliding window.
public struct WindowTotals: Hashable, Sendable {
    /// Calls observed (finished, or still running but already slow).
    public var calls: Int = 0
    /// Of those, calls that failed with a counted failure kind.
    public var failures: Int = 0
    /// Of those, calls that took at least the slow-call duration.
    public var slowCalls: Int = 0

    public init(calls: Int = 0, failures: Int = 0, slowCalls: Int = 0) {
        self.calls = calls
        self.failures = failures
        self.slowCalls = slowCalls
    }

    /// `failures / calls`, or 0 with no calls.
    public var failureRate: Double { calls == 0 ? 0 : Double(failures) / Double(calls) }
    /// `slowCalls / calls`, or 0 with no calls.
    public var slowCallRate: Double { calls == 0 ? 0 : Double(slowCalls) / Double(calls) }

    static func + (a: WindowTotals, b: WindowTotals) -> WindowTotals {
        WindowTotals(calls: a.calls + b.calls, failures: a.failures + b.failures, slowCalls: a.slowCalls + b.slowCalls)
    }

    static func - (a: WindowTotals, b: WindowTotals) -> WindowTotals {
        WindowTotals(calls: a.calls - b.calls, failures: a.failures - b.failures, slowCalls: a.slowCalls - b.slowCalls)
    }
}

/// The sliding window of call samples behind a breaker: count-based (a ring of the last N samples, totals kept
/// incrementally) or time-based (a ring of N buckets, each aggregating the samples of one slice of time).
///
/// A sample may be *amended* later (a call counted as slow while still running, that then fails) as long as it
/// is still inside the window; once it has slid out, the amendment is dropped with it, which is exactly what
/// the window means. Time passed in must not go backwards; an earlier `now` is treated as the latest seen.
struct OutcomeWindow: Sendable {
    /// Where a recorded sample lives, so it can be amended.
    struct SampleRef: Hashable, Sendable {
        fileprivate let position: Int64
    }

    private struct Sample: Sendable {
        var failed: Bool
        var slow: Bool
        var totals: WindowTotals { WindowTotals(calls: 1, failures: failed ? 1 : 0, slowCalls: slow ? 1 : 0) }
    }

    private struct Bucket: Sendable {
        var epoch: Int64
        var totals: WindowTotals
    }

    /// Count-based: the last `ring.count` samples; empty when time-based.
    private var ring: [Sample?] = []
    /// Count-based: how many samples were ever recorded (the next sample's position).
    private var next: Int64 = 0
    /// Count-based: the totals of `ring`, kept incrementally.
    private var ringTotals = WindowTotals()
    /// Time-based: one partial aggregate per slice of `width` nanoseconds; empty when count-based.
    private var buckets: [Bucket] = []
    private var slices = TimeSlice(width: 1)
    /// Time-based: the latest epoch (slice number) seen, so time never goes backwards.
    private var latestEpoch = Int64.min
    /// Time-based: the totals as of epoch `sumEpoch` (Int64.min: not known), kept while time stays in that epoch so a
    /// breaker judging its window after every call does not add up every bucket each time.
    private var sum = WindowTotals()
    private var sumEpoch = Int64.min

    private var isTimeBased: Bool { !buckets.isEmpty }

    init(_ window: CircuitBreaker.Window) {
        switch window {
        case .count(let n):
            ring = Array(repeating: nil, count: max(n, 1))
        case .time(let duration, let count):
            let n = max(count, 1)
            buckets = Array(repeating: Bucket(epoch: Int64.min, totals: WindowTotals()), count: n)
            slices = TimeSlice(width: duration.nanoseconds / Int64(n))
        }
    }

    /// Adds a sample observed at `now` and returns where it lives.
    mutating func record(failed: Bool, slow: Bool, now: MeshInstant) -> SampleRef {
        let sample = Sample(failed: failed, slow: slow)
        if isTimeBased {
            let epoch = currentEpoch(now)
            latestEpoch = epoch
            let slot = TimeSlice.slot(epoch, in: buckets.count)
            if buckets[slot].epoch != epoch { buckets[slot] = Bucket(epoch: epoch, totals: WindowTotals()) }
            buckets[slot].totals = buckets[slot].totals + sample.totals
            if sumEpoch == epoch { sum = sum + sample.totals } else { sumEpoch = Int64.min }
            return SampleRef(position: epoch)
        }
        let slot = Int(next % Int64(ring.count))
        if let evicted = ring[slot] { ringTotals = ringTotals - evicted.totals }
        ring[slot] = sample
        ringTotals = ringTotals + sample.totals
        next += 1
        return SampleRef(position: next - 1)
    }

    /// Marks an earlier sample as failed, if it is still in the window at `now` and not already failed.
    /// Returns whether the window changed.
    @discardableResult
    mutating func markFailed(_ ref: SampleRef, now: MeshInstant) -> Bool {
        if isTimeBased {
            // The sample's bucket is identified by its epoch; a bucket reused for a later epoch lost the sample.
            let slot = TimeSlice.slot(ref.position, in: buckets.count)
            guard buckets[slot].epoch == ref.position, ref.position > currentEpoch(now) - Int64(buckets.count),
                buckets[slot].totals.failures < buckets[slot].totals.calls
            else { return false }
            // A bucket aggregates samples, so "already failed" is not known per sample: the breaker amends a
            // sample at most once.
            buckets[slot].totals.failures += 1
            sumEpoch = Int64.min
            return true
        }
        guard ref.position < next, ref.position >= next - Int64(ring.count) else { return false }
        let slot = Int(ref.position % Int64(ring.count))
        guard var sample = ring[slot], !sample.failed else { return false }
        sample.failed = true
        ring[slot] = sample
        ringTotals.failures += 1
        return true
    }

    /// The totals over the window as of `now`.
    func totals(now: MeshInstant) -> WindowTotals {
        guard isTimeBased else { return ringTotals }
        let nowEpoch = currentEpoch(now)
        let oldest = nowEpoch - Int64(buckets.count)
        return buckets.reduce(WindowTotals()) { sum, bucket in
            bucket.epoch > oldest && bucket.epoch <= nowEpoch ? sum + bucket.totals : sum
        }
    }

    /// `totals(now:)`, from the kept sum while `now` is in the same epoch as the last time.
    mutating func currentTotals(now: MeshInstant) -> WindowTotals {
        guard isTimeBased else { return ringTotals }
        let epoch = currentEpoch(now)
        if epoch != sumEpoch {
            sum = totals(now: now)
            sumEpoch = epoch
        }
        return sum
    }

    /// Forgets every sample (on a state change), keeping the window's shape.
    mutating func clear() {
        sumEpoch = Int64.min
        for i in ring.indices { ring[i] = nil }
        next = 0
        ringTotals = WindowTotals()
        for i in buckets.indices { buckets[i] = Bucket(epoch: Int64.min, totals: WindowTotals()) }
        latestEpoch = Int64.min
    }

    private func currentEpoch(_ now: MeshInstant) -> Int64 { max(slices.number(of: now), latestEpoch) }
}
