import Dispatch
import MeshCore
import Synchronization

extension EventLog {
    /// Rebuilds the index from the directory: takes the lock, deletes leftover `.tmp` files, reads or creates
    /// MANIFEST, scans every segment in order (checking that they chain), truncates a torn tail of the last one.
    /// Every handle it opens is appended to `opened` (the lock first) so the caller can close them on failure.
    static func recover(
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

        let (epoch, created) = try readOrCreateEpoch(
            fs, directory: directory, configuration: configuration, segmentsExist: !bases.isEmpty
        )

        var segments: [IndexedSegment] = []
        var streams: [String: [UInt64]] = [:]
        var tails: [RecoveryReport.TruncatedTail] = []
        var records = 0
        var lastPreallocated = 0
        // Open every segment in order, then read and scan them concurrently (one worker per core; a scan is a
        // pure function of the bytes), then check and index them in order, so errors surface in file order.
        var handles: [LogFileHandle] = []
        for base in bases {
            let path = LogLayout.join(directory, LogLayout.segmentName(baseSequence: base))
            let handle = try fs.open(path, mode: .existing)
            opened.append(handle)
            handles.append(handle)
        }
        let scans = scanConcurrently(
            fs, handles: handles, bases: bases, directory: directory, epoch: epoch,
            maxRecordBytes: configuration.maxRecordBytes
        )
        for (position, base) in bases.enumerated() {
            let name = LogLayout.segmentName(baseSequence: base)
            let path = LogLayout.join(directory, name)
            if let previous = segments.last, previous.baseSequence + UInt64(previous.offsets.count) != base {
                let reason =
                    "segment starts at sequence \(base) but the previous segment ends at "
                    + "\(previous.baseSequence + UInt64(previous.offsets.count) - 1)"
                throw LogError(.corruptRecord, reason, file: path, offset: 0)
            }
            let handle = handles[position]
            let (scan, tail) = try recoverSegment(
                fs, handle, scans[position], path: path, isLast: position == bases.count - 1
            )
            if let tail { tails.append(tail) }
            for (key, sequences) in scan.streams { streams[key, default: []].append(contentsOf: sequences) }
            records += scan.offsets.count
            lastPreallocated = scan.preallocatedBytes
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
                name: last.name, path: last.path, handle: last.handle, size: last.size, lastSequence: lastSequence,
                fileBytes: last.size + lastPreallocated
            ),
            index: LogIndex(segments: segments, streams: streams, lastSequence: lastSequence, directoryLock: lock)
        )
    }

    /// The epoch from MANIFEST, or a new one written durably when the directory holds no log yet.
    private static func readOrCreateEpoch(
        _ fs: any LogFileSystem,
        directory: String,
        configuration: LogConfiguration,
        segmentsExist: Bool
    ) throws(LogError) -> (epoch: UInt64, created: Bool) {
        let path = LogLayout.join(directory, LogLayout.manifestName)
        if fs.fileExists(path) {
            return (try LogLayout.decodeManifest(try fs.readWholeFile(path), file: path), false)
        }
        guard !segmentsExist else {
            throw LogError(.corruptManifest, "MANIFEST is missing but segments exist", file: path)
        }
        let epoch = configuration.newEpoch()
        try fs.writeFileAtomically(
            path, LogLayout.encodeManifest(epoch: epoch, createdAt: configuration.wallClock()), directory: directory
        )
        return (epoch, true)
    }

    /// Reads and scans every segment, concurrently; result `i` belongs to `handles[i]`, with the file's size.
    private static func scanConcurrently(
        _ fs: any LogFileSystem,
        handles: [LogFileHandle],
        bases: [UInt64],
        directory: String,
        epoch: UInt64,
        maxRecordBytes: Int
    ) -> [Result<(scan: SegmentScan, fileBytes: Int), LogError>] {
        typealias Scanned = Result<(scan: SegmentScan, fileBytes: Int), LogError>
        let results = Mutex<[Scanned?]>(Array(repeating: nil, count: bases.count))
        DispatchQueue.concurrentPerform(iterations: bases.count) { i in
            let path = LogLayout.join(directory, LogLayout.segmentName(baseSequence: bases[i]))
            let result: Result<(scan: SegmentScan, fileBytes: Int), LogError>
            do throws(LogError) {
                let bytes = try fs.read(handles[i], at: 0, count: try fs.size(handles[i]))
                let scan = try SegmentScan.scan(
                    bytes, file: path, epoch: epoch, baseSequence: bases[i], maxRecordBytes: maxRecordBytes
                ).get()
                result = .success((scan, bytes.count))
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[i] = result }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// Checks one scanned segment. A torn tail of the last segment is truncated (durably) and returned; in a
    /// sealed segment it is `corruptRecord`. Preallocated zeros after the last record are kept.
    private static func recoverSegment(
        _ fs: any LogFileSystem,
        _ handle: LogFileHandle,
        _ scanned: Result<(scan: SegmentScan, fileBytes: Int), LogError>,
        path: String,
        isLast: Bool
    ) throws(LogError) -> (SegmentScan, RecoveryReport.TruncatedTail?) {
        let (scan, fileBytes) = try scanned.get()
        guard let tail = scan.tail else { return (scan, nil) }
        guard isLast else {
            throw LogError(.corruptRecord, tail.reason + " in a sealed segment", file: path, offset: tail.offset)
        }
        try fs.truncate(handle, to: scan.validBytes)
        try fs.sync(handle)
        return (
            scan,
            .init(file: path, offset: tail.offset, droppedBytes: fileBytes - tail.offset, reason: tail.reason)
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
}
