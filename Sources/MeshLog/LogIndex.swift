/// One local segment as indexed in memory: `offsets[i]` is where record `baseSequence + i` starts.
struct IndexedSegment {
    var name: String
    var path: String
    var handle: LogFileHandle
    var baseSequence: UInt64
    var offsets: [Int]
    /// Bytes of valid, durable data (header included).
    var size: Int
    var lastTimestamp: Int64?

    var info: SegmentInfo {
        SegmentInfo(name: name, baseSequence: baseSequence, recordCount: offsets.count, bytes: size)
    }
}

/// The in-memory index of durable records, rebuilt by scanning the segments on open.
///
/// Invariants: segments are contiguous (`next.baseSequence == previous.baseSequence + previous.offsets.count`);
/// the last one is the active segment; `streams[key]` is ascending and only names local sequences;
/// it only ever describes records whose commit batch was synced.
struct LogIndex {
    var segments: [IndexedSegment]
    var streams: [String: [UInt64]]
    var lastSequence: UInt64
    /// Set once the log is closed or failed: every later call throws it.
    var refusal: LogError?
    /// The exclusive lock on the directory's LOCK file, held until the files are closed.
    var directoryLock: LogFileHandle?

    /// Index into `segments` of the segment holding `sequence` (which must be local).
    func segmentIndex(holding sequence: UInt64) -> Int {
        var low = 0
        var high = segments.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].baseSequence <= sequence { low = middle } else { high = middle - 1 }
        }
        return low
    }
}

/// The segment commits append to. Only the committing thread touches it (under `EventLog.active`).
///
/// Invariant: `size <= fileBytes`; bytes `size..<fileBytes` of the file are zeros (preallocated, durable once
/// the commit that wrote them was synced).
struct ActiveSegment {
    var name: String
    var path: String
    var handle: LogFileHandle
    /// End of the last durable record.
    var size: Int
    var lastSequence: UInt64
    /// Length of the file: `size` plus preallocated zeros.
    var fileBytes: Int
}

/// Appends waiting for a commit.
struct AppendQueue {
    struct Pending {
        var records: [NewRecord]
        /// Encoded size of `records`.
        var bytes: Int
        var continuation: CheckedContinuation<Result<[UInt64], LogError>, Never>
    }

    var pending: [Pending] = []
    /// True while a commit owns the log: a drain scheduled or running on the flusher, or an append committing
    /// on its caller's thread. Whoever holds it clears it only when it finds `pending` empty.
    var flushScheduled = false
    /// Appends in the most recent commit batch (0 before the first): 1 means appends arrive one at a time.
    var lastBatchAppends = 0
    var refusal: LogError?

    /// Whether an append arriving now should commit on its caller's thread: no commit is in progress and
    /// the last batch held one append (an uncontended log). Claims the log (`flushScheduled`) if so.
    mutating func claimForCallerCommit() -> Bool {
        guard refusal == nil, !flushScheduled, lastBatchAppends <= 1 else { return false }
        flushScheduled = true
        lastBatchAppends = 1
        return true
    }
}
