/// A sealed segment read whole from a log directory and verified record by record.
///
/// Invariants: `bytes` is exactly the segment file (header and records, §3–§4 of proto-spec/log-format.md), every
/// record checked out, the records are `baseSequence ..< baseSequence + recordCount`, and `checksum` is the
/// CRC-32C of `bytes`. A sealed segment never changes, so the same name always means the same bytes.
public struct SealedSegment: Sendable {
    /// The file name, `%020llu.seg` of `baseSequence`.
    public var name: String
    public var epoch: UInt64
    public var baseSequence: UInt64
    public var recordCount: Int
    public var bytes: [UInt8]
    /// CRC-32C of the whole file.
    public var checksum: UInt32
    /// Commit time of the newest record (ns since the Unix epoch), if the segment has records.
    public var lastTimestamp: Int64?
    /// The distinct stream keys of the records (what the log's index drops when the segment leaves).
    var streamKeys: [String]

    /// Checks `bytes` as a sealed segment of `epoch` named by `baseSequence` (header, every record, no tail).
    /// Throws `corruptRecord` naming `file` and the offset of the first bad byte.
    public init(
        verifying bytes: [UInt8], epoch: UInt64, baseSequence: UInt64, file: String, maxRecordBytes: Int = 16 << 20
    ) throws(LogError) {
        let scan = try SegmentScan.scan(
            bytes, file: file, epoch: epoch, baseSequence: baseSequence, maxRecordBytes: maxRecordBytes
        ).get()
        if let tail = scan.tail {
            throw LogError(.corruptRecord, tail.reason + " in a sealed segment", file: file, offset: tail.offset)
        }
        self.name = LogLayout.segmentName(baseSequence: baseSequence)
        self.epoch = epoch
        self.baseSequence = baseSequence
        self.recordCount = scan.offsets.count
        self.bytes = bytes
        self.checksum = CRC32C.checksum(bytes)
        self.lastTimestamp = scan.lastTimestamp
        self.streamKeys = Array(scan.streams.keys)
    }

    /// Encodes `records` (contiguous from their first sequence) as the segment file the log would have written.
    /// Throws `invalidArgument` if the records are empty or not contiguous.
    public init(epoch: UInt64, records: [LogRecord]) throws(LogError) {
        guard let first = records.first else {
            throw LogError(.invalidArgument, "a segment needs at least one record")
        }
        var bytes = LogLayout.encodeSegmentHeader(epoch: epoch, baseSequence: first.sequence)
        for (i, record) in records.enumerated() {
            guard record.sequence == first.sequence + UInt64(i) else {
                throw LogError(
                    .invalidArgument,
                    "record \(i) has sequence \(record.sequence) where \(first.sequence + UInt64(i)) was expected"
                )
            }
            let new = NewRecord(type: record.type, streamKey: record.streamKey, payload: record.payload)
            RecordCodec.encode(new, sequence: record.sequence, timestamp: record.timestamp, into: &bytes)
        }
        self.name = LogLayout.segmentName(baseSequence: first.sequence)
        self.epoch = epoch
        self.baseSequence = first.sequence
        self.recordCount = records.count
        self.bytes = bytes
        self.checksum = CRC32C.checksum(bytes)
        self.lastTimestamp = records.last?.timestamp
        self.streamKeys = Array(Set(records.map(\.streamKey)))
    }

    /// The sequence after the last record.
    public var endSequence: UInt64 { baseSequence + UInt64(recordCount) }

    /// The records, decoded in order, each with its own CRC-32C (the stored one, of the record's bytes).
    public func records() -> [(record: LogRecord, crc: UInt32)] {
        var result: [(record: LogRecord, crc: UInt32)] = []
        result.reserveCapacity(recordCount)
        let all = bytes[...]
        var offset = LogLayout.segmentHeaderBytes
        while offset < bytes.count {
            // `init(verifying:)` or `init(epoch:records:)` established that every record decodes.
            guard case .record(let record, let length) = RecordCodec.decode(all, at: offset, maxRecordBytes: .max)
            else { break }
            result.append((record, all.littleEndian(at: offset + length - 4)))
            offset += length
        }
        return result
    }

    /// The segment's name for `baseSequence` (`%020llu.seg`).
    public static func name(baseSequence: UInt64) -> String { LogLayout.segmentName(baseSequence: baseSequence) }

    /// The base sequence a segment file name stands for, or nil if it is not a segment name.
    public static func baseSequence(ofName name: String) -> UInt64? { LogLayout.baseSequence(ofSegmentNamed: name) }

    /// The epoch stored in a segment header, or nil if `bytes` does not start with a valid header.
    public static func epoch(inHeaderOf bytes: [UInt8]) -> UInt64? {
        guard bytes.count >= LogLayout.segmentHeaderBytes else { return nil }
        let epoch: UInt64 = bytes.littleEndian(at: 16)
        let base: UInt64 = bytes.littleEndian(at: 24)
        return LogLayout.validateSegmentHeader(bytes, epoch: epoch, baseSequence: base) == nil ? epoch : nil
    }
}
