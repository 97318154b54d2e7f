/// File names and fixed-size headers of a log directory (see proto-spec/log-format.md).
///
/// A directory holds `MANIFEST` (epoch) and segments named by their base sequence, `%020llu.seg`.
/// Files are created as `<name>.tmp`, synced, renamed into place and the directory synced, so a file
/// with a final name always has a complete, durable header.
enum LogLayout {
    static let manifestName = "MANIFEST"
    /// Empty file whose exclusive flock marks the directory as owned by one open log.
    static let lockName = "LOCK"
    static let segmentSuffix = ".seg"
    static let temporarySuffix = ".tmp"

    static let manifestMagic: [UInt8] = Array("MESHLOGM".utf8)
    static let segmentMagic: [UInt8] = Array("MESHSEG1".utf8)
    static let formatVersion: UInt32 = 1
    /// magic 8 | version 4 | reserved 4 | epoch 8 | createdAt 8 | crc32c 4.
    static let manifestBytes = 36
    /// magic 8 | version 4 | reserved 4 | epoch 8 | base sequence 8 | crc32c 4 | reserved 4.
    static let segmentHeaderBytes = 40

    static func segmentName(baseSequence: UInt64) -> String {
        let digits = String(baseSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + segmentSuffix
    }

    /// The base sequence named by a segment file name, or nil if `name` is not a segment name.
    static func baseSequence(ofSegmentNamed name: String) -> UInt64? {
        guard name.hasSuffix(segmentSuffix) else { return nil }
        let digits = name.dropLast(segmentSuffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func encodeManifest(epoch: UInt64, createdAt: Int64) -> [UInt8] {
        var bytes = manifestMagic
        bytes.appendLittleEndian(formatVersion)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(epoch)
        bytes.appendLittleEndian(createdAt)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// The epoch stored in a manifest; throws `corruptManifest` (naming `file`) if it is invalid.
    static func decodeManifest(_ bytes: [UInt8], file: String) throws(LogError) -> UInt64 {
        func corrupt(_ reason: String) -> LogError { LogError(.corruptManifest, reason, file: file, offset: 0) }
        guard bytes.count == manifestBytes else { throw corrupt("manifest is \(bytes.count) bytes, expected 36") }
        guard Array(bytes[0..<8]) == manifestMagic else { throw corrupt("bad manifest magic") }
        let version: UInt32 = bytes.littleEndian(at: 8)
        guard version == formatVersion else { throw corrupt("unsupported manifest version \(version)") }
        let stored: UInt32 = bytes.littleEndian(at: 32)
        guard stored == CRC32C.checksum(bytes[0..<32]) else { throw corrupt("manifest checksum mismatch") }
        return bytes.littleEndian(at: 16)
    }

    static func encodeSegmentHeader(epoch: UInt64, baseSequence: UInt64) -> [UInt8] {
        var bytes = segmentMagic
        bytes.appendLittleEndian(formatVersion)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(epoch)
        bytes.appendLittleEndian(baseSequence)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }

    /// Validates a segment header against the expected epoch and base sequence; returns a reason if invalid.
    static func validateSegmentHeader(_ bytes: [UInt8], epoch: UInt64, baseSequence: UInt64) -> String? {
        guard bytes.count >= segmentHeaderBytes else {
            return "segment is \(bytes.count) bytes, shorter than its 40-byte header"
        }
        guard Array(bytes[0..<8]) == segmentMagic else { return "bad segment magic" }
        let version: UInt32 = bytes.littleEndian(at: 8)
        guard version == formatVersion else { return "unsupported segment version \(version)" }
        let stored: UInt32 = bytes.littleEndian(at: 32)
        guard stored == CRC32C.checksum(bytes[0..<32]) else { return "segment header checksum mismatch" }
        let storedEpoch: UInt64 = bytes.littleEndian(at: 16)
        guard storedEpoch == epoch else { return "segment epoch \(storedEpoch) differs from manifest epoch \(epoch)" }
        let storedBase: UInt64 = bytes.littleEndian(at: 24)
        guard storedBase == baseSequence else {
            return "segment header base sequence \(storedBase) differs from its file name's \(baseSequence)"
        }
        return nil
    }
}
