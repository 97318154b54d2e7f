#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only look at a log directory, for offline tools (`meshprobe log`): it never takes the lock, never
/// truncates a torn tail, never deletes a `.tmp` file, and opens files read-only, so it is safe on a copy, on a
/// read-only mount and next to a running writer.
///
/// Unlike `EventLog.open` it does not stop at the first damaged segment: every segment is checked (header,
/// chain, every record's length, checksum, key and sequence, per proto-spec/log-format.md §5), and each
/// damage names the file and byte offset. Damage in a sealed segment, a broken chain and a bad MANIFEST are
/// `corruption`; an incomplete or invalid record in the last (active) segment is a `tornTail`, which the
/// writer would truncate on open.
public struct LogInspection: Sendable {
    /// One segment file as found on disk.
    public struct Segment: Hashable, Sendable {
        public var name: String
        public var path: String
        public var baseSequence: UInt64
        /// Valid records from the header on (up to the first damage).
        public var records: Int
        /// Size of the file.
        public var fileBytes: Int
        /// End of the last valid record.
        public var validBytes: Int
        /// The last segment, the one a writer appends to; all others are sealed.
        public var isActive: Bool
        public var firstTimestamp: Int64?
        public var lastTimestamp: Int64?
        /// Byte offsets of the valid records, in order.
        public var offsets: [Int]
    }

    /// Something wrong on disk, where it is and why.
    public struct Damage: Hashable, Sendable, CustomStringConvertible {
        public enum Kind: String, Hashable, Sendable {
            /// Bytes that can never be valid where they are: refused by `EventLog.open`.
            case corruption
            /// The unacknowledged end of the active segment: truncated by `EventLog.open`.
            case tornTail
        }
        public var kind: Kind
        public var file: String
        public var offset: Int
        public var reason: String
        /// Bytes from `offset` to the end of the file.
        public var bytesAfter: Int

        public var description: String { "\(kind) in \(file) at offset \(offset): \(reason)" }
    }

    public var directory: String
    /// From MANIFEST; nil when MANIFEST is missing or damaged (see `damage`).
    public var epoch: UInt64?
    public var segments: [Segment]
    public var damage: [Damage]

    /// Whether `directory` looks like a log directory (it has a MANIFEST or a segment file).
    public static func isLogDirectory(_ directory: String) -> Bool {
        guard let names = try? PosixFileSystem().list(directory) else { return false }
        return names.contains(LogLayout.manifestName)
            || names.contains { LogLayout.baseSequence(ofSegmentNamed: $0) != nil }
    }

    /// Reads and checks every file of the log in `directory`. Throws only when the directory cannot be listed
    /// or a file cannot be read; damage is reported in `damage`.
    public static func inspect(
        directory: String, maxRecordBytes: Int = LogConfiguration().maxRecordBytes
    ) throws(LogError) -> LogInspection {
        let names = try PosixFileSystem().list(directory)
        var result = LogInspection(directory: directory, epoch: nil, segments: [], damage: [])
        let manifest = LogLayout.join(directory, LogLayout.manifestName)
        if names.contains(LogLayout.manifestName) {
            do throws(LogError) {
                result.epoch = try LogLayout.decodeManifest(try readFile(manifest), file: manifest)
            } catch {
                result.damage.append(
                    .init(kind: .corruption, file: manifest, offset: 0, reason: error.message, bytesAfter: 0))
            }
        } else {
            result.damage.append(
                .init(kind: .corruption, file: manifest, offset: 0, reason: "MANIFEST is missing", bytesAfter: 0))
        }
        let bases = names.compactMap(LogLayout.baseSequence(ofSegmentNamed:)).sorted()
        var expectedBase: UInt64?
        for (position, base) in bases.enumerated() {
            let name = LogLayout.segmentName(baseSequence: base)
            let path = LogLayout.join(directory, name)
            let isActive = position == bases.count - 1
            let bytes = try readFile(path)
            var segment = Segment(
                name: name, path: path, baseSequence: base, records: 0, fileBytes: bytes.count,
                validBytes: min(bytes.count, LogLayout.segmentHeaderBytes), isActive: isActive, offsets: [])
            func damage(_ kind: Damage.Kind, _ offset: Int, _ reason: String) {
                result.damage.append(
                    .init(kind: kind, file: path, offset: offset, reason: reason, bytesAfter: bytes.count - offset))
            }
            if let expectedBase, expectedBase != base {
                damage(
                    .corruption, 0,
                    "segment starts at sequence \(base) but the previous one ends at \(expectedBase - 1)")
            }
            // Without a valid MANIFEST, check the header against its own epoch so the records are still checked.
            let epoch = result.epoch ?? (bytes.count >= 24 ? bytes.littleEndian(at: 16) : 0)
            switch SegmentScan.scan(bytes, file: path, epoch: epoch, baseSequence: base, maxRecordBytes: maxRecordBytes)
            {
            case .failure(let error):
                damage(.corruption, error.offset ?? 0, error.message)
                // A sequence break: the records before it are still readable.
                if error.offset ?? 0 > 0 {
                    segment.offsets = Self.validOffsets(bytes, upTo: error.offset!, maxRecordBytes)
                }
            case .success(let scan):
                segment.offsets = scan.offsets
                if let tail = scan.tail {
                    damage(isActive ? .tornTail : .corruption, tail.offset, tail.reason)
                }
            }
            segment.records = segment.offsets.count
            if let last = segment.offsets.last {
                segment.validBytes = last + Int(bytes.littleEndian(at: last, as: UInt32.self))
                segment.firstTimestamp = bytes.littleEndian(at: segment.offsets[0] + 12)
                segment.lastTimestamp = bytes.littleEndian(at: last + 12)
            }
            // After damage the records that follow are unknown, so the next segment's base cannot be checked.
            let damagedHere = result.damage.contains { $0.file == path }
            expectedBase = damagedHere ? nil : base + UInt64(segment.records)
            result.segments.append(segment)
        }
        return result
    }

    /// Offsets of the records before `end`, which a failed scan already found valid.
    private static func validOffsets(_ bytes: [UInt8], upTo end: Int, _ maxRecordBytes: Int) -> [Int] {
        var offsets: [Int] = []
        var offset = LogLayout.segmentHeaderBytes
        while offset < end,
            case .record(_, let length) = RecordCodec.decode(bytes[...], at: offset, maxRecordBytes: maxRecordBytes)
        {
            offsets.append(offset)
            offset += length
        }
        return offsets
    }

    /// The valid records of `segment`, decoded, in order (read again from disk).
    public func records(of segment: Segment, maxRecordBytes: Int = LogConfiguration().maxRecordBytes) throws(LogError)
        -> [LogRecord]
    {
        let bytes = try Self.readFile(segment.path)[...]
        var records: [LogRecord] = []
        for offset in segment.offsets {
            guard case .record(let record, _) = RecordCodec.decode(bytes, at: offset, maxRecordBytes: maxRecordBytes)
            else {
                throw LogError(
                    .corruptRecord, "record changed on disk while being inspected", file: segment.path, offset: offset)
            }
            records.append(record)
        }
        return records
    }

    /// The whole file, opened read-only.
    static func readFile(_ path: String) throws(LogError) -> [UInt8] {
        func failure(_ what: String) -> LogError {
            let number = errno
            return LogError(.ioError, "\(what) failed: \(String(cString: strerror(number)))", file: path, errno: number)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("fstat") }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pread")
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }
}
