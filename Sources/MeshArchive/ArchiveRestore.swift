import MeshLog

/// Rebuilds a lost log directory from an archive (see `LogRestore` for the on-disk rules).
public enum ArchiveRestore {
    /// What a restore wrote.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        public var epoch: UInt64
        public var segments: Int
        public var bytes: Int
        public var firstSequence: UInt64
        /// The sequence the next append gets.
        public var nextSequence: UInt64

        public var description: String {
            "restored epoch \(LogIdentity.epochName(epoch)): \(segments) segments, \(bytes) bytes, sequences "
                + "\(firstSequence)...\(nextSequence - 1); the next append gets \(nextSequence)"
        }
    }

    /// Restores the archived segments of `epoch` (or of the only epoch archived, when nil) into `directory`, which must
    /// not hold a log. Every segment is verified (header, records, and contiguity with the previous one) before it is
    /// written; anything wrong is `corruptArchive` and leaves a directory `EventLog.open` refuses.
    public static func restore(
        from source: some SegmentArchiveSource,
        epoch: UInt64? = nil,
        into directory: String,
        fileSystem: any LogFileSystem = PosixFileSystem()
    ) async throws -> Report {
        let epoch = try await chooseEpoch(source, epoch)
        let names = try await source.segmentNames(epoch: epoch)
        guard !names.isEmpty else {
            throw ArchiveError(.notFound, "\(source.description) holds no segments of epoch \(LogIdentity.epochName(epoch))")
        }
        let restore = try LogRestore(directory: directory, epoch: epoch, fileSystem: fileSystem)
        for name in names {
            guard let base = SealedSegment.baseSequence(ofName: name) else { continue }
            let bytes = try await source.fetch(epoch: epoch, segment: name)
            do throws(LogError) {
                try restore.add(try SealedSegment(verifying: bytes, epoch: epoch, baseSequence: base, file: name))
            } catch {
                guard error.code == .corruptRecord || error.code == .invalidArgument else { throw error }
                throw ArchiveError(.corruptArchive, "archived \(name) cannot be restored: \(error.message)", cause: error)
            }
        }
        let first = restore.firstSequence ?? 1
        let next = try restore.finish()
        return Report(
            epoch: epoch, segments: restore.segmentsRestored, bytes: restore.bytesRestored, firstSequence: first,
            nextSequence: next
        )
    }

    static func chooseEpoch(_ source: some SegmentArchiveSource, _ epoch: UInt64?) async throws -> UInt64 {
        let epochs = try await source.epochs()
        if let epoch {
            guard epochs.contains(epoch) else {
                throw ArchiveError(
                    .notFound, "\(source.description) holds no epoch \(LogIdentity.epochName(epoch)); it holds "
                        + (epochs.isEmpty ? "none" : epochs.map(LogIdentity.epochName).joined(separator: ", "))
                )
            }
            return epoch
        }
        guard epochs.count == 1, let only = epochs.first else {
            throw ArchiveError(
                epochs.isEmpty ? .notFound : .invalidConfiguration,
                epochs.isEmpty
                    ? "\(source.description) holds no archived log"
                    : "\(source.description) holds several epochs (\(epochs.map(LogIdentity.epochName).joined(separator: ", "))); choose one"
            )
        }
        return only
    }
}
