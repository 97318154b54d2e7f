extension EventLog {
    /// Moves sealed segments chosen by `policy` (oldest first, never the active one) to `archiveDirectory`.
    ///
    /// For each: verify every record of the local file, copy it durably (temporary file, sync, rename,
    /// directory sync), read the copy back and compare its CRC-32C with the local file's, and only then drop
    /// the segment from the index, delete the local file and sync the log directory. A copy that does not
    /// verify is deleted, the local segment is kept and `archiveVerificationFailed` is thrown.
    /// Returns the segments archived before any error.
    public func archiveSealedSegments(
        to archiveDirectory: String, policy: RetentionPolicy
    ) throws(LogError)
        -> [ArchivedSegment]
    {
        let destination = DirectoryArchive(directory: archiveDirectory, fileSystem: fileSystem)
        return try archiving.withLock { (_: inout Int) throws(LogError) -> [ArchivedSegment] in
            var archived: [ArchivedSegment] = []
            for info in try sealedSegments(chosenBy: policy) {
                let segment = try readSealedSegment(info)
                _ = try destination.storeVerified(segment)
                archived.append(try dropArchived(segment))
            }
            return archived
        }
    }

    /// The sealed segments `policy` says should leave the local directory, oldest first (never the active one).
    public func sealedSegments(chosenBy policy: RetentionPolicy) throws(LogError) -> [SegmentInfo] {
        let now = configuration.wallClock()
        return try index.withLock { (ix: inout LogIndex) throws(LogError) -> [SegmentInfo] in
            if let refusal = ix.refusal { throw refusal }
            var localBytes = ix.segments.reduce(0) { $0 + $1.size }
            var chosen: [SegmentInfo] = []
            for segment in ix.segments.dropLast() {
                let old = policy.maxAge.map { (segment.lastTimestamp ?? .min) <= now - $0.nanoseconds } ?? false
                let over = policy.maxLocalBytes.map { localBytes > $0 } ?? false
                guard old || over else { break }
                chosen.append(segment.info)
                localBytes -= segment.size
            }
            return chosen
        }
    }

    /// Reads a sealed local segment whole and verifies every record (header, checksums, sequences, no tail).
    /// Holds no lock of the append path while reading: a sealed segment never changes.
    public func readSealedSegment(_ info: SegmentInfo) throws(LogError) -> SealedSegment {
        let localPath = LogLayout.join(directory, info.name)
        try index.withLock { (ix: inout LogIndex) throws(LogError) in
            if let refusal = ix.refusal { throw refusal }
            guard ix.segments.dropLast().contains(where: { $0.name == info.name }) else {
                throw LogError(.invalidArgument, "\(info.name) is not a sealed local segment", file: localPath)
            }
        }
        return try SealedSegment(
            verifying: try fileSystem.readWholeFile(localPath), epoch: epoch, baseSequence: info.baseSequence,
            file: localPath, maxRecordBytes: configuration.maxRecordBytes
        )
    }

    /// Drops a sealed segment from the index, deletes its file and syncs the log directory: call it only once every
    /// archive destination verified its copy (`SegmentArchiveDestination.store` returned). The segment must still
    /// be the oldest local one, so the local log never has a gap; a crash before this call leaves the segment local,
    /// and a rerun finds the stored copies (`.alreadyStored`) and finishes.
    public func removeArchivedSegment(_ segment: SealedSegment) throws(LogError) -> ArchivedSegment {
        try archiving.withLock { (_: inout Int) throws(LogError) in try dropArchived(segment) }
    }

    /// Removes an archived segment from the index and the directory. It must still be the oldest local segment.
    private func dropArchived(_ segment: SealedSegment) throws(LogError) -> ArchivedSegment {
        let fs = fileSystem
        let localPath = LogLayout.join(directory, segment.name)
        let nextBase = segment.endSequence
        guard segment.epoch == epoch else {
            throw LogError(.invalidArgument, "segment of epoch \(segment.epoch) is not of this log", file: localPath)
        }
        try index.withLock { (ix: inout LogIndex) throws(LogError) in
            if let refusal = ix.refusal { throw refusal }
            guard ix.segments.count > 1, let first = ix.segments.first, first.name == segment.name else {
                throw LogError(.invalidArgument, "segment is no longer the oldest local segment", file: localPath)
            }
            ix.segments.removeFirst()
            fs.close(first.handle)
            for key in segment.streamKeys {
                ix.streams[key]?.removeAll { $0 < nextBase }
                if ix.streams[key]?.isEmpty == true { ix.streams[key] = nil }
            }
        }
        try fs.remove(localPath)
        try fs.syncDirectory(directory)
        return ArchivedSegment(
            name: segment.name, baseSequence: segment.baseSequence, recordCount: segment.recordCount,
            bytes: segment.bytes.count, checksum: segment.checksum
        )
    }
}
