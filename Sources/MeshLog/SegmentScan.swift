/// The result of reading one segment front to back: where its records start and where valid data ends.
///
/// Invariant: records are contiguous from `baseSequence`; `offsets[i]` holds record `baseSequence + i`;
/// `streams[key]` lists, in order, the sequences of this segment's records with that stream key.
struct SegmentScan: Sendable {
    var offsets: [Int] = []
    var streams: [String: [UInt64]] = [:]
    var lastTimestamp: Int64?
    /// End of the last valid record (or of the header when there is none).
    var validBytes = LogLayout.segmentHeaderBytes
    /// Zero bytes from `validBytes` to the end of the file: preallocated space, not a tail.
    var preallocatedBytes = 0
    /// Where unreadable bytes begin, and why, if the segment does not end exactly after a valid record.
    var tail: (offset: Int, reason: String)?

    /// Scans `bytes` (a whole segment file). Errors are for damage that cannot be a torn tail: a bad header
    /// or a checksum-valid record with the wrong sequence number.
    ///
    /// Validates exactly what `RecordCodec.decode` validates (length, checksum, key length, UTF-8 key) but
    /// copies no payloads and makes one String per distinct key.
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
        scan.offsets.reserveCapacity(bytes.count / 64)
        var offset = LogLayout.segmentHeaderBytes
        // Distinct keys of this segment; `byHash` maps an FNV-1a hash of the key bytes to candidate entries,
        // so a repeated key costs a hash and a byte comparison, not a String.
        var keys: [(start: Int, count: Int, value: String, sequences: [UInt64])] = []
        var byHash: [UInt64: [Int]] = [:]
        return bytes.withUnsafeBytes { raw -> Result<SegmentScan, LogError> in
            while offset < raw.count {
                let available = raw.count - offset
                // Zeros from here to the end of the file are preallocated space (a record length is never 0).
                if raw[offset] == 0 && allZero(raw, from: offset) {
                    scan.preallocatedBytes = available
                    break
                }
                guard available >= 4 else {
                    scan.tail = (offset, "only \(available) bytes of a 4-byte length field")
                    break
                }
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                guard length >= RecordCodec.overheadBytes, length <= maxRecordBytes else {
                    scan.tail = (offset, "implausible record length \(length)")
                    break
                }
                guard length <= available else {
                    scan.tail = (offset, "record of \(length) bytes but only \(available) bytes remain")
                    break
                }
                let stored = UInt32(
                    littleEndian: raw.loadUnaligned(fromByteOffset: offset + length - 4, as: UInt32.self)
                )
                let computed = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length - 4)]))
                guard stored == computed else {
                    scan.tail = (
                        offset,
                        "checksum mismatch: stored \(RecordCodec.hex(stored)), computed \(RecordCodec.hex(computed))"
                    )
                    break
                }
                let keyLength = Int(
                    UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 22, as: UInt16.self))
                )
                guard RecordCodec.overheadBytes + keyLength <= length else {
                    scan.tail = (offset, "stream key length \(keyLength) too long")
                    break
                }
                let sequence = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self))
                let expected = baseSequence + UInt64(scan.offsets.count)
                guard sequence == expected else {
                    let reason = "record has sequence \(sequence) where \(expected) was expected"
                    return .failure(LogError(.corruptRecord, reason, file: file, offset: offset))
                }
                let keyStart = offset + 24
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for k in keyStart..<(keyStart + keyLength) { hash = (hash ^ UInt64(raw[k])) &* 0x100_0000_01b3 }
                let candidates = byHash[hash] ?? []
                if let found = candidates.first(where: { i in
                    keys[i].count == keyLength && sameBytes(raw, keys[i].start, keyStart, keyLength)
                }) {
                    keys[found].sequences.append(sequence)
                } else {
                    guard
                        let key = String(
                            validating: UnsafeRawBufferPointer(rebasing: raw[keyStart..<(keyStart + keyLength)]),
                            as: UTF8.self
                        )
                    else {
                        scan.tail = (offset, "stream key is not UTF-8")
                        break
                    }
                    byHash[hash, default: []].append(keys.count)
                    keys.append((keyStart, keyLength, key, [sequence]))
                }
                scan.offsets.append(offset)
                scan.lastTimestamp = Int64(
                    littleEndian: raw.loadUnaligned(fromByteOffset: offset + 12, as: Int64.self)
                )
                offset += length
                scan.validBytes = offset
            }
            for entry in keys { scan.streams[entry.value] = entry.sequences }
            return .success(scan)
        }
    }
}

/// Whether every byte of `raw` from `start` on is zero.
private func allZero(_ raw: UnsafeRawBufferPointer, from start: Int) -> Bool {
    var k = start
    while k + 8 <= raw.count {
        if raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) != 0 { return false }
        k += 8
    }
    while k < raw.count {
        if raw[k] != 0 { return false }
        k += 1
    }
    return true
}

/// Whether `count` bytes at `a` and at `b` of `raw` are equal.
private func sameBytes(_ raw: UnsafeRawBufferPointer, _ a: Int, _ b: Int, _ count: Int) -> Bool {
    var k = 0
    while k < count {
        if raw[a + k] != raw[b + k] { return false }
        k += 1
    }
    return true
}
