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
        try archiving.withLock { (_: inout Int) throws(LogError) -> [ArchivedSegment] in
            let chosen = try chooseSegmentsToArchive(policy)
            guard !chosen.isEmpty else { return [] }
            try fileSystem.createDirectory(archiveDirectory)
            var archived: [ArchivedSegment] = []
            for segment in chosen {
                archived.append(try archive(segment, to: archiveDirectory))
            }
            return archived
        }
    }

    private func chooseSegmentsToArchive(_ policy: RetentionPolicy) throws(LogError) -> [SegmentInfo] {
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

    private func archive(_ segment: SegmentInfo, to archiveDirectory: String) throws(LogError) -> ArchivedSegment {
        let fs = fileSystem
        let localPath = LogLayout.join(directory, segment.name)
        let bytes = try fs.readWholeFile(localPath)
        let scan = try SegmentScan.scan(
            bytes, file: localPath, epoch: epoch, baseSequence: segment.baseSequence,
            maxRecordBytes: configuration.maxRecordBytes
        ).get()
        if let tail = scan.tail {
            throw LogError(.corruptRecord, tail.reason + " in a sealed segment", file: localPath, offset: tail.offset)
        }
        let checksum = CRC32C.checksum(bytes)
        let copyPath = LogLayout.join(archiveDirectory, segment.name)
        try fs.writeFileAtomically(copyPath, bytes, directory: archiveDirectory)
        let copy = try fs.readWholeFile(copyPath)
        let copyChecksum = CRC32C.checksum(copy)
        guard copy.count == bytes.count, copyChecksum == checksum else {
            let message =
                "archive copy has \(copy.count) bytes with CRC-32C \(RecordCodec.hex(copyChecksum)), "
                + "local segment has \(bytes.count) bytes with \(RecordCodec.hex(checksum)); local segment kept"
            do throws(LogError) {
                try fs.remove(copyPath)
                try fs.syncDirectory(archiveDirectory)
            } catch {
                throw LogError(
                    .archiveVerificationFailed, message + "; removing the bad copy failed", file: copyPath, cause: error
                )
            }
            throw LogError(.archiveVerificationFailed, message, file: copyPath)
        }
        let nextBase = segment.baseSequence + UInt64(segment.recordCount)
        let uniqueKeys = Set(scan.streams.keys)
        try index.withLock { (ix: inout LogIndex) throws(LogError) in
            // Only `close()` can have changed the index since the segment was chosen (archiving is serialised).
            if let refusal = ix.refusal { throw refusal }
            guard let first = ix.segments.first, first.name == segment.name else {
                throw LogError(.invalidArgument, "segment is no longer the oldest local segment", file: localPath)
            }
            ix.segments.removeFirst()
            fs.close(first.handle)
            for key in uniqueKeys {
                ix.streams[key]?.removeAll { $0 < nextBase }
                if ix.streams[key]?.isEmpty == true { ix.streams[key] = nil }
            }
        }
        try fs.remove(localPath)
        try fs.syncDirectory(directory)
        return ArchivedSegment(
            name: segment.name, baseSequence: segment.baseSequence, recordCount: segment.recordCount,
            bytes: bytes.count, checksum: checksum
        )
    }
}
