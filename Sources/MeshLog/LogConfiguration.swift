import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tunables and injected effects of an `EventLog`.
public struct LogConfiguration: Sendable {
    /// A segment is sealed and a new one started when the next commit batch would grow it past this size
    /// (a segment holding a single oversized batch may exceed it).
    public var segmentMaxBytes: Int
    /// Largest encoded record (28 bytes of framing + stream key + payload) the log accepts.
    public var maxRecordBytes: Int
    /// Largest commit batch: the flusher takes queued appends up to this many encoded bytes per write + sync
    /// (always at least one append).
    public var maxBatchBytes: Int
    /// How far past its last record the active segment's file is kept filled with zeros (written and synced with a
    /// commit, capped at `segmentMaxBytes`), so most commits overwrite allocated blocks and their fdatasync has no
    /// file size or extent change to journal. 0 turns it off. The padding is trimmed when the segment is sealed
    /// and when the log is closed.
    public var preallocationBytes: Int
    /// Wall-clock time in ns since the Unix epoch, stamped on each commit batch and used for retention.
    public var wallClock: @Sendable () -> Int64
    /// Monotonic clock used to time recovery.
    public var clock: any MeshClock
    /// Produces the random epoch of a newly created log directory.
    public var newEpoch: @Sendable () -> UInt64

    public init(
        segmentMaxBytes: Int = 64 << 20,
        maxRecordBytes: Int = 16 << 20,
        maxBatchBytes: Int = 4 << 20,
        preallocationBytes: Int = 1 << 20,
        wallClock: @escaping @Sendable () -> Int64 = LogConfiguration.systemWallClock,
        clock: any MeshClock = SystemClock(),
        newEpoch: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 1...UInt64.max) }
    ) {
        self.segmentMaxBytes = segmentMaxBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxBatchBytes = maxBatchBytes
        self.preallocationBytes = preallocationBytes
        self.wallClock = wallClock
        self.clock = clock
        self.newEpoch = newEpoch
    }

    /// `CLOCK_REALTIME` in nanoseconds.
    @Sendable public static func systemWallClock() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
