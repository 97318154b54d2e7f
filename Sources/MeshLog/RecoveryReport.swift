import MeshCore

/// What `EventLog.open` found and repaired.
public struct RecoveryReport: Sendable, CustomStringConvertible {
    /// A torn or partly written tail cut off the last segment.
    public struct TruncatedTail: Hashable, Sendable {
        public var file: String
        /// Where the dropped bytes began (the new end of the file).
        public var offset: Int
        public var droppedBytes: Int
        public var reason: String
    }

    /// True when the directory had no log and a new one (with a new epoch) was created.
    public var createdNewLog: Bool
    public var segmentsScanned: Int
    public var recordsScanned: Int
    public var truncatedTails: [TruncatedTail]
    /// Leftover `.tmp` files of interrupted creations that were deleted.
    public var removedTemporaryFiles: [String]
    public var duration: MeshDuration

    public var description: String {
        var text =
            createdNewLog ? "created a new log" : "scanned \(recordsScanned) records in \(segmentsScanned) segments"
        text += " in \(duration)"
        for tail in truncatedTails {
            text +=
                "; truncated a torn tail of \(tail.droppedBytes) bytes at \(tail.file) offset \(tail.offset)"
                + " (\(tail.reason))"
        }
        if !removedTemporaryFiles.isEmpty {
            text += "; removed leftover \(removedTemporaryFiles.joined(separator: ", "))"
        }
        return text
    }
}

/// A segment as the log currently indexes it.
public struct SegmentInfo: Hashable, Sendable {
    public var name: String
    public var baseSequence: UInt64
    public var recordCount: Int
    public var bytes: Int
}

/// When sealed segments leave the local directory. A segment goes when either limit says so; segments go
/// oldest first and never the active one.
public struct RetentionPolicy: Sendable {
    /// Archive a sealed segment whose newest record is at least this old (by the log's wall clock).
    public var maxAge: MeshDuration?
    /// Archive the oldest sealed segments while the local segments together exceed this many bytes.
    public var maxLocalBytes: Int?

    public init(maxAge: MeshDuration? = nil, maxLocalBytes: Int? = nil) {
        self.maxAge = maxAge
        self.maxLocalBytes = maxLocalBytes
    }
}

/// A segment that was copied to the archive, verified and deleted locally.
public struct ArchivedSegment: Hashable, Sendable {
    public var name: String
    public var baseSequence: UInt64
    public var recordCount: Int
    public var bytes: Int
    /// CRC-32C of the whole segment file, as verified on the archive copy.
    public var checksum: UInt32
}
