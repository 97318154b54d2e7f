/// Archive destination that keeps byte-identical segment files under their own names in one directory
/// (proto-spec/log-format.md §6). Writes go through the log's `LogFileSystem`, durably.
public struct DirectoryArchive: SegmentArchiveDestination {
    public let directory: String
    let fileSystem: any LogFileSystem

    public init(directory: String, fileSystem: any LogFileSystem = PosixFileSystem()) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    public var description: String { "directory \(directory)" }

    public func store(_ segment: SealedSegment) async throws -> ArchiveStoreOutcome {
        try storeVerified(segment)
    }

    /// Copies `segment` durably (temporary file, sync, rename, directory sync), reads the copy back and compares
    /// its size and CRC-32C. A copy already present and intact is left alone (`.alreadyStored`), a different one is
    /// `archiveVerificationFailed`; a new copy that does not verify is deleted and `archiveVerificationFailed` thrown.
    func storeVerified(_ segment: SealedSegment) throws(LogError) -> ArchiveStoreOutcome {
        let fs = fileSystem
        let copyPath = LogLayout.join(directory, segment.name)
        if fs.fileExists(copyPath) {
            let existing = try fs.readWholeFile(copyPath)
            guard matches(segment, existing) else {
                let message =
                    "a different \(segment.name) is already archived (\(existing.count) bytes, CRC-32C "
                    + "\(RecordCodec.hex(CRC32C.checksum(existing)))); local segment kept"
                throw LogError(.archiveVerificationFailed, message, file: copyPath)
            }
            return .alreadyStored
        }
        try fs.createDirectory(directory)
        try fs.writeFileAtomically(copyPath, segment.bytes, directory: directory)
        let copy = try fs.readWholeFile(copyPath)
        guard matches(segment, copy) else {
            let message =
                "archive copy has \(copy.count) bytes with CRC-32C \(RecordCodec.hex(CRC32C.checksum(copy))), "
                + "local segment has \(segment.bytes.count) bytes with \(RecordCodec.hex(segment.checksum)); "
                + "local segment kept"
            do throws(LogError) {
                try fs.remove(copyPath)
                try fs.syncDirectory(directory)
            } catch {
                throw LogError(
                    .archiveVerificationFailed, message + "; removing the bad copy failed", file: copyPath, cause: error
                )
            }
            throw LogError(.archiveVerificationFailed, message, file: copyPath)
        }
        return .stored
    }

    private func matches(_ segment: SealedSegment, _ copy: [UInt8]) -> Bool {
        copy.count == segment.bytes.count && CRC32C.checksum(copy) == segment.checksum
    }
}
