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

    /// Preallocated space of the active segment ends on a multiple of this.
    static let pageBytes = 4096

    /// Where the zeros preallocated by a commit that ends at `end` stop: `preallocationBytes` further, rounded up
    /// to a page, never past `segmentMaxBytes` (and never before `end`).
    static func preallocatedEnd(after end: Int, preallocationBytes: Int, segmentMaxBytes: Int) -> Int {
        guard preallocationBytes > 0 else { return end }
        let wanted = (end + preallocationBytes + pageBytes - 1) / pageBytes * pageBytes
        return max(end, min(wanted, segmentMaxBytes))
    }

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

    /// The 36-byte preamble shared by MANIFEST and segment headers:
    /// magic 8 | version 4 | reserved 4 | epoch 8 | `field` 8 | CRC-32C of the preceding 32 bytes.
    private static func preamble(magic: [UInt8], epoch: UInt64, field: UInt64) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(formatVersion)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(epoch)
        bytes.appendLittleEndian(field)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Checks a preamble's magic, version and checksum; returns `(epoch, field)` or the reason it is invalid.
    private static func readPreamble(
        _ bytes: [UInt8], magic: [UInt8], what: String
    ) -> Result<(UInt64, UInt64), LogError> {
        func invalid(_ reason: String) -> Result<(UInt64, UInt64), LogError> {
            .failure(LogError(.corruptRecord, reason, offset: 0))
        }
        guard bytes.count >= 36 else { return invalid("\(what) is \(bytes.count) bytes, too short for its header") }
        guard Array(bytes[0..<8]) == magic else { return invalid("bad \(what) magic") }
        let version: UInt32 = bytes.littleEndian(at: 8)
        guard version == formatVersion else { return invalid("unsupported \(what) version \(version)") }
        let stored: UInt32 = bytes.littleEndian(at: 32)
        guard stored == CRC32C.checksum(bytes[0..<32]) else { return invalid("\(what) checksum mismatch") }
        return .success((bytes.littleEndian(at: 16), bytes.littleEndian(at: 24)))
    }

    static func encodeManifest(epoch: UInt64, createdAt: Int64) -> [UInt8] {
        preamble(magic: manifestMagic, epoch: epoch, field: UInt64(bitPattern: createdAt))
    }

    /// The epoch stored in a manifest; throws `corruptManifest` (naming `file`) if it is invalid.
    static func decodeManifest(_ bytes: [UInt8], file: String) throws(LogError) -> UInt64 {
        guard bytes.count == manifestBytes else {
            throw LogError(.corruptManifest, "manifest is \(bytes.count) bytes, expected 36", file: file, offset: 0)
        }
        switch readPreamble(bytes, magic: manifestMagic, what: "manifest") {
        case .success(let (epoch, _)): return epoch
        case .failure(let error): throw LogError(.corruptManifest, error.message, file: file, offset: 0)
        }
    }

    static func encodeSegmentHeader(epoch: UInt64, baseSequence: UInt64) -> [UInt8] {
        var bytes = preamble(magic: segmentMagic, epoch: epoch, field: baseSequence)
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }

    /// Validates a segment header against the expected epoch and base sequence; returns a reason if invalid.
    static func validateSegmentHeader(_ bytes: [UInt8], epoch: UInt64, baseSequence: UInt64) -> String? {
        guard bytes.count >= segmentHeaderBytes else {
            return "segment is \(bytes.count) bytes, shorter than its 40-byte header"
        }
        switch readPreamble(bytes, magic: segmentMagic, what: "segment") {
        case .failure(let error):
            return error.message
        case .success(let (storedEpoch, storedBase)):
            if storedEpoch != epoch { return "segment epoch \(storedEpoch) differs from manifest epoch \(epoch)" }
            if storedBase != baseSequence {
                return "segment header base sequence \(storedBase) differs from its file name's \(baseSequence)"
            }
            return nil
        }
    }
}
