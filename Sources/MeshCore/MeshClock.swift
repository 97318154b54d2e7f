#if canImport(Glibc)
import Glibc
#endif

/// A point in time on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// Pure protocol cores never read a clock themselves: their shells pass `MeshInstant`s in,
/// so tests can drive them with a `ManualClock` (see MeshTestKit).
public struct MeshInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = MeshInstant(nanoseconds: 0)

    public static func < (a: MeshInstant, b: MeshInstant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: MeshInstant, d: MeshDuration) -> MeshInstant {
        MeshInstant(nanoseconds: a.nanoseconds &+ d.nanoseconds)
    }

    public static func - (a: MeshInstant, d: MeshDuration) -> MeshInstant {
        MeshInstant(nanoseconds: a.nanoseconds &- d.nanoseconds)
    }

    public static func - (a: MeshInstant, b: MeshInstant) -> MeshDuration {
        MeshDuration(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }

    public var description: String { "t+\(MeshDuration(nanoseconds: nanoseconds))" }
}

/// A signed span of time in nanoseconds.
public struct MeshDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = MeshDuration(nanoseconds: 0)
    public static func nanoseconds(_ n: Int64) -> MeshDuration { MeshDuration(nanoseconds: n) }
    public static func microseconds(_ n: Int64) -> MeshDuration { MeshDuration(nanoseconds: n * 1_000) }
    public static func milliseconds(_ n: Int64) -> MeshDuration { MeshDuration(nanoseconds: n * 1_000_000) }
    public static func seconds(_ n: Int64) -> MeshDuration { MeshDuration(nanoseconds: n * 1_000_000_000) }
    public static func seconds(fractional s: Double) -> MeshDuration { MeshDuration(nanoseconds: Int64(s * 1e9)) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    public static func < (a: MeshDuration, b: MeshDuration) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: MeshDuration, b: MeshDuration) -> MeshDuration {
        MeshDuration(nanoseconds: a.nanoseconds &+ b.nanoseconds)
    }
    public static func - (a: MeshDuration, b: MeshDuration) -> MeshDuration {
        MeshDuration(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }
    public static func * (a: MeshDuration, k: Int64) -> MeshDuration { MeshDuration(nanoseconds: a.nanoseconds &* k) }
    /// Integer literals pick this overload (without it `d * 2` is ambiguous between Int64 and Double).
    public static func * (a: MeshDuration, k: Int) -> MeshDuration { a * Int64(k) }
    public static func * (a: MeshDuration, k: Double) -> MeshDuration {
        MeshDuration(nanoseconds: Int64(Double(a.nanoseconds) * k))
    }
    public static func / (a: MeshDuration, k: Int64) -> MeshDuration { MeshDuration(nanoseconds: a.nanoseconds / k) }

    public var description: String {
        let n = nanoseconds
        if abs(n) >= 1_000_000_000 { return "\(Double(n) / 1e9)s" }
        if abs(n) >= 1_000_000 { return "\(Double(n) / 1e6)ms" }
        if abs(n) >= 1_000 { return "\(Double(n) / 1e3)µs" }
        return "\(n)ns"
    }
}

/// A source of the current monotonic time. Shells use `SystemClock`; tests use a manual clock.
public protocol MeshClock: Sendable {
    func now() -> MeshInstant
}

/// The process's monotonic clock (`CLOCK_MONOTONIC`), counted from the first reading in this process.
/// Read with `clock_gettime` directly: half the cost of `ContinuousClock.now` and its `Duration`
/// arithmetic, which matters on the call path (a call reads the clock a dozen times).
public struct SystemClock: MeshClock {
    private static let origin = monotonicNanoseconds()

    public init() {}

    public func now() -> MeshInstant {
        MeshInstant(nanoseconds: Self.monotonicNanoseconds() - SystemClock.origin)
    }

    private static func monotonicNanoseconds() -> Int64 {
        #if canImport(Glibc)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        #else
        let (s, attos) = (ContinuousClock.now - continuousOrigin).components
        return s * 1_000_000_000 + attos / 1_000_000_000
        #endif
    }

    #if !canImport(Glibc)
    private static let continuousOrigin = ContinuousClock.now
    #endif
}

/// Wall-clock time in whole seconds since the Unix epoch (certificates, log timestamps).
public struct WallTime: Hashable, Comparable, Sendable {
    public var secondsSinceEpoch: Int64
    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }
    public static func < (a: WallTime, b: WallTime) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }
}
