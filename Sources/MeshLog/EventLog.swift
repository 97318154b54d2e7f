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

    private init(
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

    private static func recover(
        directory: String,
        fileSystem fs: any LogFileSystem,
        configuration: LogConfiguration,
        _ opened: inout [LogFileHandle]
    ) throws(LogError) -> EventLog {
        let started = configuration.clock.now()
        try fs.createDirectory(directory)
        let lock = try fs.lock(LogLayout.join(directory, LogLayout.lockName))
        opened.append(lock)
        let names = try fs.list(directory)
        let temporaries = names.filter { $0.hasSuffix(LogLayout.temporarySuffix) }.sorted()
        for name in temporaries { try fs.remove(LogLayout.join(directory, name)) }
        if !temporaries.isEmpty { try fs.syncDirectory(directory) }
        let bases = names.compactMap(LogLayout.baseSequence(ofSegmentNamed:)).sorted()

        let manifestPath = LogLayout.join(directory, LogLayout.manifestName)
        let epoch: UInt64
        let created: Bool
        if fs.fileExists(manifestPath) {
            epoch = try LogLayout.decodeManifest(try fs.readWholeFile(manifestPath), file: manifestPath)
            created = false
        } else {
            guard bases.isEmpty else {
                throw LogError(
                    .corruptManifest, "MANIFEST is missing but \(bases.count) segments exist", file: manifestPath)
            }
            epoch = configuration.newEpoch()
            let manifest = LogLayout.encodeManifest(epoch: epoch, createdAt: configuration.wallClock())
            try fs.writeFileAtomically(manifestPath, manifest, directory: directory)
            created = true
        }

        var segments: [IndexedSegment] = []
        var streams: [String: [UInt64]] = [:]
        var tails: [RecoveryReport.TruncatedTail] = []
        var records = 0
        for (position, base) in bases.enumerated() {
            let name = LogLayout.segmentName(baseSequence: base)
            let path = LogLayout.join(directory, name)
            if let previous = segments.last, previous.baseSequence + UInt64(previous.offsets.count) != base {
                let reason =
                    "segment starts at sequence \(base) but the previous segment ends at "
                    + "\(previous.baseSequence + UInt64(previous.offsets.count) - 1)"
                throw LogError(.corruptRecord, reason, file: path, offset: 0)
            }
            let handle = try fs.open(path, mode: .existing)
            opened.append(handle)
            let bytes = try fs.read(handle, at: 0, count: try fs.size(handle))
            let scan = try SegmentScan.scan(
                bytes, file: path, epoch: epoch, baseSequence: base, maxRecordBytes: configuration.maxRecordBytes
            ).get()
            if let tail = scan.tail {
                guard position == bases.count - 1 else {
                    throw LogError(
                        .corruptRecord, tail.reason + " in a sealed segment", file: path, offset: tail.offset)
                }
                try fs.truncate(handle, to: scan.validBytes)
                try fs.sync(handle)
                tails.append(
                    .init(file: path, offset: tail.offset, droppedBytes: bytes.count - tail.offset, reason: tail.reason)
                )
            }
            for (k, key) in scan.streamKeys.enumerated() { streams[key, default: []].append(base + UInt64(k)) }
            records += scan.offsets.count
            segments.append(
                IndexedSegment(
                    name: name, path: path, handle: handle, baseSequence: base, offsets: scan.offsets,
                    size: scan.validBytes, lastTimestamp: scan.lastTimestamp
                )
            )
        }
        if segments.isEmpty {
            let segment = try createSegment(fs, directory: directory, epoch: epoch, baseSequence: 1)
            opened.append(segment.handle)
            segments.append(segment)
        }
        let last = segments[segments.count - 1]
        let lastSequence = last.baseSequence + UInt64(last.offsets.count) - 1
        let report = RecoveryReport(
            createdNewLog: created, segmentsScanned: bases.count, recordsScanned: records, truncatedTails: tails,
            removedTemporaryFiles: temporaries, duration: configuration.clock.now() - started
        )
        return EventLog(
            directory: directory, epoch: epoch, report: report, fileSystem: fs, configuration: configuration,
            active: ActiveSegment(
                name: last.name, path: last.path, handle: last.handle, size: last.size, lastSequence: lastSequence
            ),
            index: LogIndex(segments: segments, streams: streams, lastSequence: lastSequence, directoryLock: lock)
        )
    }

    /// Creates an empty segment durably (temporary file, sync, rename, directory sync) and opens it.
    static func createSegment(
        _ fs: any LogFileSystem,
        directory: String,
        epoch: UInt64,
        baseSequence: UInt64
    ) throws(LogError) -> IndexedSegment {
        let name = LogLayout.segmentName(baseSequence: baseSequence)
        let path = LogLayout.join(directory, name)
        let header = LogLayout.encodeSegmentHeader(epoch: epoch, baseSequence: baseSequence)
        try fs.writeFileAtomically(path, header, directory: directory)
        let handle = try fs.open(path, mode: .existing)
        return IndexedSegment(
            name: name, path: path, handle: handle, baseSequence: baseSequence, offsets: [], size: header.count,
            lastTimestamp: nil
        )
    }

    /// Refuses every later call with `closed` (appends still queued are refused too), waits for a commit in
    /// progress to finish, then closes the files and releases the directory lock. Idempotent.
    public func close() {
        let closedError = LogError(.closed, "the log is closed", file: directory)
        queue.withLock { q in
            if q.refusal == nil { q.refusal = closedError }
        }
        index.withLock { ix in
            if ix.refusal == nil { ix.refusal = closedError }
        }
        // A drain scheduled before the refusal runs before this barrier; none can be scheduled after it.
        flushQueue.sync { closeFiles() }
    }

    /// Closes every segment handle and releases the directory lock. Never runs concurrently with a drain.
    func closeFiles() {
        let fs = fileSystem
        index.withLock { ix in
            for segment in ix.segments { fs.close(segment.handle) }
            ix.segments = []
            if let lock = ix.directoryLock { fs.unlock(lock) }
            ix.directoryLock = nil
        }
    }

    /// The sequence of the newest durable record (0 when the log is empty).
    public var lastSequence: UInt64 { index.withLock { $0.lastSequence } }

    /// The oldest sequence still in the local directory (earlier ones were archived).
    public var firstLocalSequence: UInt64 { index.withLock { $0.segments.first?.baseSequence ?? 0 } }

    /// The local segments, oldest first; the last is the active one.
    public var segments: [SegmentInfo] { index.withLock { $0.segments.map(\.info) } }
}
