import Dispatch
import MeshCore
import Synchronization

/// A durable, segmented, append-only event log in one directory.
///
/// - Appends are acknowledged (their sequence numbers returned) only after their bytes were synced.
///   Concurrent appends share one write and one fdatasync (group commit).
/// - Sequence numbers start at 1 and are contiguous; the log's `epoch` is a random id fixed when the
///   directory was created, so `(epoch, sequence)` names a record across restarts.
/// - Any write or sync failure is fatal for the instance: the failing appends get the error, every later call
///   throws `logFailed`. Reopening recovers every acknowledged record.
public final class EventLog: Sendable {
    public let directory: String
    /// Random id of this log directory, stored in its MANIFEST.
    public let epoch: UInt64
    /// What `open` found and repaired.
    public let recoveryReport: RecoveryReport

    let fileSystem: any LogFileSystem
    let configuration: LogConfiguration
    let queue: Mutex<AppendQueue>
    let active: Mutex<ActiveSegment>
    let index: Mutex<LogIndex>
    /// Serialises archiving runs.
    let archiving = Mutex<Int>(0)
    let flushQueue = DispatchQueue(label: "mesh.log.flush")

    init(
        directory: String,
        epoch: UInt64,
        report: RecoveryReport,
        fileSystem: any LogFileSystem,
        configuration: LogConfiguration,
        active: ActiveSegment,
        index: LogIndex
    ) {
        self.directory = directory
        self.epoch = epoch
        self.recoveryReport = report
        self.fileSystem = fileSystem
        self.configuration = configuration
        self.queue = Mutex(AppendQueue())
        self.active = Mutex(active)
        self.index = Mutex(index)
    }

    deinit { closeFiles() }

    /// Opens (or creates) the log in `directory`, recovering it. Holds an exclusive lock on `directory/LOCK` until
    /// `close()`, so a second writer (in this or another process) fails with `directoryLocked`.
    /// Recovery: a torn tail of the last segment is truncated
    /// and reported in `recoveryReport`; any other damage throws `corruptRecord` naming the file and offset.
    public static func open(
        directory: String,
        fileSystem: any LogFileSystem = PosixFileSystem(),
        configuration: LogConfiguration = LogConfiguration()
    ) throws(LogError) -> EventLog {
        var opened: [LogFileHandle] = []
        do throws(LogError) {
            return try recover(directory: directory, fileSystem: fileSystem, configuration: configuration, &opened)
        } catch {
            if let lock = opened.first { fileSystem.unlock(lock) }
            for handle in opened.dropFirst() { fileSystem.close(handle) }
            throw error
        }
    }

    /// Refuses every later call with `closed` (appends still queued are refused too), waits for a commit in
    /// progress to finish, trims the active segment's preallocated zeros, then closes the files and releases the
    /// directory lock. Idempotent.
    public func close() {
        let closedError = LogError(.closed, "the log is closed", file: directory)
        queue.withLock { q in
            if q.refusal == nil { q.refusal = closedError }
        }
        index.withLock { ix in
            if ix.refusal == nil { ix.refusal = closedError }
        }
        // A drain scheduled before the refusal runs before this barrier; none can be scheduled after it. A commit
        // on a caller's thread holds `active`, which `closeFiles` waits for.
        flushQueue.sync { closeFiles() }
    }

    /// Trims the active segment's preallocated zeros (best effort, unless the log failed), closes every segment
    /// handle and releases the directory lock. Never runs concurrently with a commit.
    func closeFiles() {
        let fs = fileSystem
        let failed = queue.withLock { $0.refusal?.code == .logFailed }
        active.withLock { segment in
            if !failed { try? Self.trimPreallocation(fs, &segment) }
            // Whatever the trim did, the handle is closed below and must not be truncated again.
            segment.fileBytes = segment.size
            index.withLock { ix in
                for indexed in ix.segments { fs.close(indexed.handle) }
                ix.segments = []
                if let lock = ix.directoryLock { fs.unlock(lock) }
                ix.directoryLock = nil
            }
        }
    }

    /// The sequence of the newest durable record (0 when the log is empty).
    public var lastSequence: UInt64 { index.withLock { $0.lastSequence } }

    /// The oldest sequence still in the local directory (earlier ones were archived).
    public var firstLocalSequence: UInt64 { index.withLock { $0.segments.first?.baseSequence ?? 0 } }

    /// The local segments, oldest first; the last is the active one.
    public var segments: [SegmentInfo] { index.withLock { $0.segments.map(\.info) } }
}
