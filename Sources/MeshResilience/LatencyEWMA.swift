import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A peer's recent latency as a peak-sensitive, time-decaying average (Finagle's and linkerd's "peak EWMA").
///
/// A sample above the current estimate replaces it at once (the peak), so a peer that turns slow is avoided
/// immediately; a lower sample pulls the estimate down with weight `1 - exp(-Δt/decay)`, so recovery is
/// believed gradually. Without samples the estimate decays towards zero with the same time constant, so an
/// idle peer is eventually tried again. Pure: time is passed in.
public struct LatencyEWMA: Hashable, Sendable {
    /// The time constant of the decay.
    public let decay: MeshDuration
    private var cost: Double
    private var stamp: MeshInstant

    /// Starts at `initial` (e.g. a guess for a peer never called yet) at `now`.
    public init(decay: MeshDuration = .milliseconds(10_000), initial: MeshDuration = .zero, now: MeshInstant) {
        self.decay = MeshDuration(nanoseconds: Swift.max(decay.nanoseconds, 1))
        self.cost = Double(Swift.max(initial.nanoseconds, 0))
        self.stamp = now
    }

    /// Folds in one measured round trip that ended at `now`.
    public mutating func observe(_ rtt: MeshDuration, now: MeshInstant) {
        let sample = Double(Swift.max(rtt.nanoseconds, 0))
        let w = weight(now)
        cost = sample > cost ? sample : cost * w + sample * (1 - w)
        stamp = Swift.max(stamp, now)
    }

    /// The estimate as of `now`, decayed since the last sample.
    public func estimate(now: MeshInstant) -> MeshDuration {
        MeshDuration(nanoseconds: Int64(cost * weight(now)))
    }

    /// `exp(-Δt/decay)`: 1 at the last sample, falling towards 0.
    private func weight(_ now: MeshInstant) -> Double {
        let elapsed = Double(Swift.max((now - stamp).nanoseconds, 0))
        return exp(-elapsed / Double(decay.nanoseconds))
    }
}
