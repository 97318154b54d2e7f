import MeshLog

/// What an archiver has left to do and how it is going, as an admin RPC or `meshnode archive status` returns it.
public struct ArchiveBacklog: Sendable, Hashable, CustomStringConvertible {
    /// Sealed segments still in the local directory, waiting for the archive.
    public var pendingSegments: Int
    public var pendingBytes: Int
    /// The oldest sequence not yet archived (the first local one), 0 when the log is empty.
    public var oldestPendingSequence: UInt64
    /// Segments archived (stored and deleted locally) since the archiver started, and their bytes.
    public var archivedSegments: Int
    public var archivedBytes: Int
    /// Segments found already stored (a rerun after a crash) among `archivedSegments`.
    public var alreadyStoredSegments: Int
    /// The last failure, until a later segment succeeds.
    public var lastError: String?
    /// Breaker state per destination, by description.
    public var breakers: [String: String]

    public init(
        pendingSegments: Int = 0,
        pendingBytes: Int = 0,
        oldestPendingSequence: UInt64 = 0,
        archivedSegments: Int = 0,
        archivedBytes: Int = 0,
        alreadyStoredSegments: Int = 0,
        lastError: String? = nil,
        breakers: [String: String] = [:]
    ) {
        self.pendingSegments = pendingSegments
        self.pendingBytes = pendingBytes
        self.oldestPendingSequence = oldestPendingSequence
        self.archivedSegments = archivedSegments
        self.archivedBytes = archivedBytes
        self.alreadyStoredSegments = alreadyStoredSegments
        self.lastError = lastError
        self.breakers = breakers
    }

    public var description: String {
        var text =
            "\(pendingSegments) sealed segments (\(pendingBytes) bytes) waiting from sequence \(oldestPendingSequence); "
            + "\(archivedSegments) archived (\(archivedBytes) bytes, \(alreadyStoredSegments) found already stored)"
        for (destination, state) in breakers.sorted(by: { $0.key < $1.key }) { text += "; \(destination): \(state)" }
        if let lastError { text += "; last error: \(lastError)" }
        return text
    }
}
