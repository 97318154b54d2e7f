/// Somewhere sealed segments are kept after they leave the local directory: a directory (`DirectoryArchive`),
/// an object store, a database.
///
/// Contract (what `EventLog.archiveSealedSegment(_:to:)` relies on to delete the local copy):
/// - `store` returns only once the stored copy was verified against `segment.checksum` (and size); it throws
///   otherwise, and the caller keeps the local segment.
/// - `store` is idempotent: a segment already stored intact (a rerun after a crash between storing and deleting
///   locally) is verified and reported `.alreadyStored`, never stored twice; a different copy under the same name
///   is an error, never overwritten silently.
public protocol SegmentArchiveDestination: Sendable {
    /// Where the segments go, without credentials (for logs and status).
    var description: String { get }
    func store(_ segment: SealedSegment) async throws -> ArchiveStoreOutcome
}

/// What `SegmentArchiveDestination.store` did.
public enum ArchiveStoreOutcome: Hashable, Sendable {
    /// The segment was written and the written copy verified.
    case stored
    /// An intact copy was already there (verified); nothing was written.
    case alreadyStored
}
