import NIOCore

/// Monotonic nanoseconds for latency stamps (`NIODeadline.now()`, i.e. CLOCK_MONOTONIC). Only the shells of the
/// benchmark read it; the statistics take stamps as plain numbers.
public enum MonotonicClock {
    @inline(__always)
    public static func nowNanos() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
