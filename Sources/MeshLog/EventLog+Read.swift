extension EventLog {
    /// Up to `limit` records with sequence >= `sequence`, in order. Every record's checksum is verified.
    ///
    /// Throws `sequenceArchived` if `sequence` is older than the oldest local record, `corruptRecord` with file
    /// and offset if bytes on disk no longer match their checksum.
    public func read(from sequence: UInt64, limit: Int) throws(LogError) -> [LogRecord] {
        guard limit > 0 else { throw LogError(.invalidArgument, "limit must be positive, got \(limit)") }
        let fs = fileSystem
        let maxRecordBytes = configuration.maxRecordBytes
        return try index.withLock { (ix: inout LogIndex) throws(LogError) -> [LogRecord] in
            if let refusal = ix.refusal { throw refusal }
            let start = max(sequence, 1)
            guard let first = ix.segments.first, start >= first.baseSequence else {
                throw LogError(
                    .sequenceArchived,
                    "sequence \(start) is older than the oldest local record \(ix.segments.first?.baseSequence ?? 0)",
                    file: directory
                )
            }
            guard start <= ix.lastSequence else { return [] }
            let end = min(ix.lastSequence, start + UInt64(limit) - 1)
            var records: [LogRecord] = []
            var position = ix.segmentIndex(holding: start)
            var next = start
            while next <= end {
                let segment = ix.segments[position]
                let upTo = min(end, segment.baseSequence + UInt64(segment.offsets.count) - 1)
                records += try Self.readRecords(
                    segment, Int(next - segment.baseSequence)...Int(upTo - segment.baseSequence), fs, maxRecordBytes
                )
                next = upTo + 1
                position += 1
            }
            return records
        }
    }

    /// Every local record of stream `key`, in sequence order.
    public func read(streamKey key: String) throws(LogError) -> [LogRecord] {
        let fs = fileSystem
        let maxRecordBytes = configuration.maxRecordBytes
        return try index.withLock { (ix: inout LogIndex) throws(LogError) -> [LogRecord] in
            if let refusal = ix.refusal { throw refusal }
            var records: [LogRecord] = []
            for sequence in ix.streams[key] ?? [] {
                let segment = ix.segments[ix.segmentIndex(holding: sequence)]
                let slot = Int(sequence - segment.baseSequence)
                records += try Self.readRecords(segment, slot...slot, fs, maxRecordBytes)
            }
            return records
        }
    }

    /// Reads the records at `slots` of `segment` with one read, verifying checksum and sequence of each.
    private static func readRecords(
        _ segment: IndexedSegment,
        _ slots: ClosedRange<Int>,
        _ fs: any LogFileSystem,
        _ maxRecordBytes: Int
    ) throws(LogError) -> [LogRecord] {
        let from = segment.offsets[slots.lowerBound]
        let to = slots.upperBound + 1 < segment.offsets.count ? segment.offsets[slots.upperBound + 1] : segment.size
        let bytes = try fs.read(segment.handle, at: from, count: to - from)[...]
        var records: [LogRecord] = []
        records.reserveCapacity(slots.count)
        for slot in slots {
            let offset = segment.offsets[slot]
            let expected = segment.baseSequence + UInt64(slot)
            switch RecordCodec.decode(bytes, at: offset - from, maxRecordBytes: maxRecordBytes) {
            case .record(let record, _) where record.sequence == expected:
                records.append(record)
            case .record(let record, _):
                let reason = "record has sequence \(record.sequence) where \(expected) was expected"
                throw LogError(.corruptRecord, reason, file: segment.path, offset: offset)
            case .incomplete(let reason), .invalid(let reason):
                throw LogError(.corruptRecord, reason, file: segment.path, offset: offset)
            }
        }
        return records
    }
}
