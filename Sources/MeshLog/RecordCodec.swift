/// The byte layout of one record (little-endian):
///
///     0       u32  length L of the whole record, this field and the CRC included
///     4       u64  sequence
///     12      i64  timestamp, ns since the Unix epoch
///     20      u16  type
///     22      u16  stream key length K
///     24      K    stream key, UTF-8
///     24+K    L-28-K payload
///     L-4     u32  CRC-32C of bytes [0, L-4)
enum RecordCodec {
    static let overheadBytes = 28

    /// Encoded size of a record, without checking limits.
    static func encodedSize(of record: NewRecord) -> Int {
        overheadBytes + record.streamKey.utf8.count + record.payload.count
    }

    static func encode(_ record: NewRecord, sequence: UInt64, timestamp: Int64, into bytes: inout [UInt8]) {
        let start = bytes.count
        let key = Array(record.streamKey.utf8)
        bytes.appendLittleEndian(UInt32(overheadBytes + key.count + record.payload.count))
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(timestamp)
        bytes.appendLittleEndian(record.type)
        bytes.appendLittleEndian(UInt16(key.count))
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: record.payload)
        bytes.appendLittleEndian(CRC32C.checksum(bytes[start...]))
    }

    /// What sits at an offset of a segment.
    enum Decoded {
        case record(LogRecord, length: Int)
        /// The bytes end before the record does (a torn write at the tail).
        case incomplete(String)
        /// The bytes are all there but do not form a valid record.
        case invalid(String)
    }

    /// Decodes the record starting at absolute index `offset` of `bytes`.
    static func decode(_ bytes: ArraySlice<UInt8>, at offset: Int, maxRecordBytes: Int) -> Decoded {
        let available = bytes.endIndex - offset
        guard available >= 4 else { return .incomplete("only \(available) bytes of a 4-byte length field") }
        let length = Int(bytes.littleEndian(at: offset, as: UInt32.self))
        guard length >= overheadBytes, length <= maxRecordBytes else {
            return .invalid("implausible record length \(length)")
        }
        guard length <= available else {
            return .incomplete("record of \(length) bytes but only \(available) bytes remain")
        }
        let stored: UInt32 = bytes.littleEndian(at: offset + length - 4)
        let computed = CRC32C.checksum(bytes[offset..<(offset + length - 4)])
        guard stored == computed else {
            return .invalid("checksum mismatch: stored \(hex(stored)), computed \(hex(computed))")
        }
        let keyLength = Int(bytes.littleEndian(at: offset + 22, as: UInt16.self))
        guard overheadBytes + keyLength <= length else { return .invalid("stream key length \(keyLength) too long") }
        let keyStart = offset + 24
        guard let key = String(validating: bytes[keyStart..<(keyStart + keyLength)], as: UTF8.self) else {
            return .invalid("stream key is not UTF-8")
        }
        let record = LogRecord(
            sequence: bytes.littleEndian(at: offset + 4),
            timestamp: bytes.littleEndian(at: offset + 12),
            type: bytes.littleEndian(at: offset + 20),
            streamKey: key,
            payload: Array(bytes[(keyStart + keyLength)..<(offset + length - 4)])
        )
        return .record(record, length: length)
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
