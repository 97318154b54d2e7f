/// Rebuilds a log directory from archived sealed segments, so a node that lost its disk continues its log.
///
/// The restored directory is the same log: MANIFEST carries the archive's `epoch`, the segments are written back
/// byte-identical under their own names, and an empty active segment is created after the last one, so the next
/// append gets the sequence after the restored ones and the restored (archived) segments stay sealed and unchanged.
///
/// Order makes a crash safe: segments first (each via `.tmp`, sync, rename, directory sync), MANIFEST last. A
/// directory left by an interrupted restore has segments but no MANIFEST, which `EventLog.open` refuses; running
/// the restore again clears it and starts over. Holds the directory's LOCK throughout, like an open log.
public final class LogRestore {
    public let directory: String
    public let epoch: UInt64
    private let fileSystem: any LogFileSystem
    private let wallClock: @Sendable () -> Int64
    private var lock: LogFileHandle?
    public private(set) var firstSequence: UInt64?
    /// The sequence the next restored segment must start with (and, after `finish`, the next append gets).
    public private(set) var nextSequence: UInt64?
    public private(set) var segmentsRestored = 0
    public private(set) var bytesRestored = 0

    /// Takes the directory (creating it) for a restore of the log `epoch`. Throws `invalidArgument` if it already
    /// holds a log (a MANIFEST), `directoryLocked` if a log is open on it.
    public init(
        directory: String,
        epoch: UInt64,
        fileSystem: any LogFileSystem = PosixFileSystem(),
        wallClock: @escaping @Sendable () -> Int64 = LogConfiguration.systemWallClock
    ) throws(LogError) {
        self.directory = directory
        self.epoch = epoch
        self.fileSystem = fileSystem
        self.wallClock = wallClock
        try fileSystem.createDirectory(directory)
        let lock = try fileSystem.lock(LogLayout.join(directory, LogLayout.lockName))
        do throws(LogError) {
            if fileSystem.fileExists(LogLayout.join(directory, LogLayout.manifestName)) {
                throw LogError(.invalidArgument, "directory already holds a log; restore needs a fresh one", file: directory)
            }
            let leftovers = try fileSystem.list(directory).filter {
                $0.hasSuffix(LogLayout.temporarySuffix) || LogLayout.baseSequence(ofSegmentNamed: $0) != nil
            }
            for name in leftovers { try fileSystem.remove(LogLayout.join(directory, name)) }
            if !leftovers.isEmpty { try fileSystem.syncDirectory(directory) }
        } catch {
            fileSystem.unlock(lock)
            throw error
        }
        self.lock = lock
    }

    deinit { if let lock { fileSystem.unlock(lock) } }

    /// Writes the next segment. It must belong to `epoch` and start where the previous one ended.
    public func add(_ segment: SealedSegment) throws(LogError) {
        let path = LogLayout.join(directory, segment.name)
        guard lock != nil else { throw LogError(.closed, "the restore has finished", file: directory) }
        guard segment.epoch == epoch else {
            throw LogError(.invalidArgument, "segment of epoch \(segment.epoch) in a restore of epoch \(epoch)", file: path)
        }
        if let next = nextSequence, segment.baseSequence != next {
            let reason =
                "segment starts at sequence \(segment.baseSequence) but the restored log ends at \(next - 1): "
                + "the archive has a gap"
            throw LogError(.corruptRecord, reason, file: path, offset: 0)
        }
        guard segment.recordCount > 0 else {
            throw LogError(.invalidArgument, "an archived segment holds no records", file: path)
        }
        try fileSystem.writeFileAtomically(path, segment.bytes, directory: directory)
        firstSequence = firstSequence ?? segment.baseSequence
        nextSequence = segment.endSequence
        segmentsRestored += 1
        bytesRestored += segment.bytes.count
    }

    /// Creates the empty active segment after the restored ones, then MANIFEST, and releases the directory.
    /// Returns the sequence the next append will get.
    @discardableResult
    public func finish() throws(LogError) -> UInt64 {
        guard let lock else { throw LogError(.closed, "the restore has finished", file: directory) }
        guard let next = nextSequence else {
            throw LogError(.invalidArgument, "nothing was restored", file: directory)
        }
        let active = try EventLog.createSegment(fileSystem, directory: directory, epoch: epoch, baseSequence: next)
        fileSystem.close(active.handle)
        try fileSystem.writeFileAtomically(
            LogLayout.join(directory, LogLayout.manifestName),
            LogLayout.encodeManifest(epoch: epoch, createdAt: wallClock()), directory: directory
        )
        fileSystem.unlock(lock)
        self.lock = nil
        return next
    }
}
