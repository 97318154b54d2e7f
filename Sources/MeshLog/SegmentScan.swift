/// The result of reading one segment front to back: where its records start and where valid data ends.
///
/// Invariant: records are contiguous from `baseSequence`; `offsets[i]` holds record `baseSequence + i`.
struct SegmentScan {
    var offsets: [Int] = []
    var streamKeys: [String] = []
    var lastTimestamp: Int64?
    /// End of the last valid record (or of the header when there is none).
    var validBytes = LogLayout.segmentHeaderBytes
    /// Where unreadable bytes begin, and why, if the segment does not end exactly after a valid record.
    var tail: (offset: Int, reason: String)?

    /// Scans `bytes` (a whole segment file). Errors are for damage that cannot be a torn tail: a bad header
    /// or a checksum-valid record with the wrong sequence number.
    static func scan(
        _ bytes: [UInt8],
        file: String,
        epoch: UInt64,
        baseSequence: UInt64,
        maxRecordBytes: Int
    ) -> Result<SegmentScan, LogError> {
        if let reason = LogLayout.validateSegmentHeader(bytes, epoch: epoch, baseSequence: baseSequence) {
            return .failure(LogError(.corruptRecord, reason, file: file, offset: 0))
        }
        var scan = SegmentScan()
        var offset = LogLayout.segmentHeaderBytes
        let all = bytes[...]
        while offset < bytes.count {
            switch RecordCodec.decode(all, at: offset, maxRecordBytes: maxRecordBytes) {
            case .record(let record, let length):
                let expected = baseSequence + UInt64(scan.offsets.count)
                guard record.sequence == expected else {
                    let reason = "record has sequence \(record.sequence) where \(expected) was expected"
                    return .failure(LogError(.corruptRecord, reason, file: file, offset: offset))
                }
                scan.offsets.append(offset)
                scan.streamKeys.append(record.streamKey)
                scan.lastTimestamp = record.timestamp
                offset += length
                scan.validBytes = offset
            case .incomplete(let reason), .invalid(let reason):
                scan.tail = (offset, reason)
                return .success(scan)
            }
        }
        return .success(scan)
    }
}
