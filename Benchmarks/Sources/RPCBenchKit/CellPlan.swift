/// What one benchmark cell does: `concurrency` closed-loop callers echo `payloadSize` bytes for `warmUpNanos`
/// (discarded) and then `measureNanos` (recorded).
public struct CellPlan: Hashable, Sendable {
    public var payloadSize: Int
    public var concurrency: Int
    public var warmUpNanos: UInt64
    public var measureNanos: UInt64

    public init(payloadSize: Int, concurrency: Int, warmUpNanos: UInt64, measureNanos: UInt64) {
        self.payloadSize = payloadSize
        self.concurrency = concurrency
        self.warmUpNanos = warmUpNanos
        self.measureNanos = measureNanos
    }

    /// A deterministic, non-constant payload (so a server that returns zeros or a stale buffer is caught).
    public func makePayload() -> [UInt8] {
        (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// The measurement window of a cell that starts at `start` (monotonic nanoseconds).
    public func window(startingAt start: UInt64) -> MeasurementWindow {
        MeasurementWindow(opensAt: start + warmUpNanos, closesAt: start + warmUpNanos + measureNanos)
    }
}

/// The recorded part of a cell. Invariant: `opensAt <= closesAt`. A call counts when it was sent at or after
/// `opensAt` and its reply arrived at or before `closesAt`, so calls/s = count / (closesAt − opensAt).
public struct MeasurementWindow: Hashable, Sendable {
    public var opensAt: UInt64
    public var closesAt: UInt64

    public init(opensAt: UInt64, closesAt: UInt64) {
        precondition(opensAt <= closesAt, "a window closes after it opens")
        self.opensAt = opensAt
        self.closesAt = closesAt
    }

    /// Whether a call sent at `sentAt` and answered at `receivedAt` is recorded.
    public func counts(sentAt: UInt64, receivedAt: UInt64) -> Bool {
        sentAt >= opensAt && receivedAt <= closesAt
    }

    /// Whether a caller should still issue a new call at `now`.
    public func isOpen(at now: UInt64) -> Bool { now < closesAt }

    public var durationNanos: UInt64 { closesAt - opensAt }
}
