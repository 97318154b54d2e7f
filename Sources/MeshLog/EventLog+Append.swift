import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EventLog {
    /// Appends `records` in order and returns their sequence numbers once they are durable.
    ///
    /// Concurrent callers are committed together: one write and one fdatasync per batch. Throws
    /// `recordTooLarge` before queueing anything, `fsyncFailed`/`ioError` if the batch's commit failed (the log
    /// then refuses everything with `logFailed`), `closed` after `close()`.
    ///
    /// An append that finds the log uncontended (no commit in progress, the previous batch a single append)
    /// commits on the caller's thread instead of the flusher's; at most one such commit runs per process, and
    /// none on a one-core machine, so they never hold every thread of Swift's cooperative pool.
    public func append(_ records: [NewRecord]) async throws(LogError) -> [UInt64] {
        if records.isEmpty { return [] }
        var bytes = 0
        for record in records {
            let size = RecordCodec.encodedSize(of: record)
            bytes += size
            guard size <= configuration.maxRecordBytes, record.streamKey.utf8.count <= Int(UInt16.max) else {
                throw LogError(
                    .recordTooLarge,
                    "record of \(size) bytes (key \(record.streamKey.utf8.count) bytes) exceeds the limit of "
                        + "\(configuration.maxRecordBytes) bytes (key 65535)"
                )
            }
        }
        // One append at a time: a hop to the flusher thread and back would cost a sizeable part of an fdatasync.
        if CallerCommitSlot.acquire() {
            defer { CallerCommitSlot.release() }
            if queue.withLock({ $0.claimForCallerCommit() }) {
                return try commitOnCallerThread(records).get()
            }
        }
        let result = await withCheckedContinuation { continuation in
            let (schedule, refusal) = queue.withLock { q -> (Bool, LogError?) in
                if let refusal = q.refusal { return (false, refusal) }
                q.pending.append(AppendQueue.Pending(records: records, bytes: bytes, continuation: continuation))
                if q.flushScheduled { return (false, nil) }
                q.flushScheduled = true
                return (true, nil)
            }
            if let refusal {
                continuation.resume(returning: .failure(refusal))
            } else if schedule {
                flushQueue.async { self.drain() }
            }
        }
        return try result.get()
    }

    /// Appends one record; see `append(_:)`.
    public func append(_ record: NewRecord) async throws(LogError) -> UInt64 {
        try await append([record])[0]
    }

    /// Appends queued and not yet taken by the flusher (for tests).
    var pendingAppendCount: Int { queue.withLock { $0.pending.count } }

    /// Commits one append on the calling thread, which holds the log's commit claim (`flushScheduled`); then
    /// hands any appends that queued meanwhile to the flusher, or releases the claim.
    private func commitOnCallerThread(_ records: [NewRecord]) -> Result<[UInt64], LogError> {
        let result: Result<[UInt64], LogError>
        switch commit([records]) {
        case .committed(let sequences): result = .success(sequences[0])
        case .refused(let refusal): result = .failure(refusal)
        case .failed(let error):
            failLog(error)
            result = .failure(error)
        }
        let queued = queue.withLock { q in
            if q.pending.isEmpty { q.flushScheduled = false }
            return !q.pending.isEmpty
        }
        if queued { flushQueue.async { self.drain() } }
        return result
    }

    /// Commits queued appends batch by batch until the queue is empty. Runs on `flushQueue` only.
    /// A batch is the longest prefix of the queue within `maxBatchBytes` (at least one append).
    func drain() {
        let cap = configuration.maxBatchBytes
        while true {
            let (batch, refusal) = queue.withLock { q in
                var count = 0
                var bytes = 0
                while count < q.pending.count && (count == 0 || bytes + q.pending[count].bytes <= cap) {
                    bytes += q.pending[count].bytes
                    count += 1
                }
                let batch = Array(q.pending.prefix(count))
                q.pending.removeFirst(count)
                if batch.isEmpty { q.flushScheduled = false } else { q.lastBatchAppends = batch.count }
                return (batch, q.refusal)
            }
            if batch.isEmpty { return }
            if let refusal {
                for pending in batch { pending.continuation.resume(returning: .failure(refusal)) }
                continue
            }
            switch commit(batch.map(\.records)) {
            case .committed(let sequences):
                for (pending, assigned) in zip(batch, sequences) {
                    pending.continuation.resume(returning: .success(assigned))
                }
            case .refused(let refusal):
                for pending in batch { pending.continuation.resume(returning: .failure(refusal)) }
            case .failed(let error):
                failLog(error)
                for pending in batch { pending.continuation.resume(returning: .failure(error)) }
            }
        }
    }

    /// After a failed write or sync: every later call is refused with `logFailed`.
    private func failLog(_ error: LogError) {
        let refusal = LogError(
            .logFailed, "an earlier write or sync failed; reopen the log to recover", file: directory, cause: error
        )
        queue.withLock { q in q.refusal = refusal }
        index.withLock { ix in ix.refusal = refusal }
    }

    /// What became of one commit batch.
    private enum CommitOutcome {
        /// Each append's sequence numbers.
        case committed([[UInt64]])
        /// The log was closed or had failed before the batch was written; nothing was written.
        case refused(LogError)
        /// The write or sync failed: the log must fail.
        case failed(LogError)
    }

    /// Writes one batch (each element one append's records) with one write and one sync, rolling the segment
    /// first if it would overflow and extending the preallocated zeros if it would reach them, then publishes it
    /// to the index.
    private func commit(_ appends: [[NewRecord]]) -> CommitOutcome {
        let fs = fileSystem
        let timestamp = configuration.wallClock()
        return active.withLock { segment -> CommitOutcome in
            // `close()` sets the refusal before it takes this lock to close the files.
            if let refusal = queue.withLock({ $0.refusal }) { return .refused(refusal) }
            var bytes: [UInt8] = []
            var relativeOffsets: [Int] = []
            var keys: [String] = []
            var sequences: [[UInt64]] = []
            var next = segment.lastSequence + 1
            for records in appends {
                var assigned: [UInt64] = []
                for record in records {
                    relativeOffsets.append(bytes.count)
                    keys.append(record.streamKey)
                    RecordCodec.encode(record, sequence: next, timestamp: timestamp, into: &bytes)
                    assigned.append(next)
                    next += 1
                }
                sequences.append(assigned)
            }
            let recordBytes = bytes.count
            do throws(LogError) {
                if segment.size > LogLayout.segmentHeaderBytes
                    && segment.size + recordBytes > configuration.segmentMaxBytes
                {
                    try Self.trimPreallocation(fs, &segment)
                    let fresh = try Self.createSegment(
                        fs, directory: directory, epoch: epoch, baseSequence: segment.lastSequence + 1
                    )
                    segment = ActiveSegment(
                        name: fresh.name, path: fresh.path, handle: fresh.handle, size: fresh.size,
                        lastSequence: segment.lastSequence, fileBytes: fresh.size
                    )
                    index.withLock { ix in ix.segments.append(fresh) }
                }
                let end = segment.size + recordBytes
                if end > segment.fileBytes {
                    let padded = LogLayout.preallocatedEnd(
                        after: end, preallocationBytes: configuration.preallocationBytes,
                        segmentMaxBytes: configuration.segmentMaxBytes
                    )
                    bytes.append(contentsOf: repeatElement(0, count: padded - end))
                }
                try fs.write(segment.handle, bytes, at: segment.size)
                try fs.sync(segment.handle)
            } catch {
                var located = error
                if located.file == nil { located.file = segment.path }
                if located.offset == nil { located.offset = segment.size }
                return .failed(located)
            }
            let start = segment.size
            segment.fileBytes = max(segment.fileBytes, start + bytes.count)
            segment.size += recordBytes
            segment.lastSequence = next - 1
            let published = segment
            index.withLock { ix in
                let last = ix.segments.count - 1
                let base = published.lastSequence - UInt64(keys.count) + 1
                ix.segments[last].offsets.append(contentsOf: relativeOffsets.map { $0 + start })
                ix.segments[last].size = published.size
                ix.segments[last].lastTimestamp = timestamp
                for (k, key) in keys.enumerated() { ix.streams[key, default: []].append(base + UInt64(k)) }
                ix.lastSequence = published.lastSequence
            }
            return .committed(sequences)
        }
    }

    /// Cuts the preallocated zeros off the active segment's file, durably, so it ends after its last record.
    static func trimPreallocation(_ fs: any LogFileSystem, _ segment: inout ActiveSegment) throws(LogError) {
        guard segment.fileBytes > segment.size else { return }
        try fs.truncate(segment.handle, to: segment.size)
        try fs.sync(segment.handle)
        segment.fileBytes = segment.size
    }
}

/// Bounds commits on callers' threads process-wide: one at a time, none on a one-core machine (where the one
/// cooperative thread blocked in fdatasync would stall every task).
private enum CallerCommitSlot {
    private static let limit = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 ? 1 : 0
    private static let inUse = Atomic<Int>(0)

    static func acquire() -> Bool {
        var current = inUse.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = inUse.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiring
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    static func release() { inUse.subtract(1, ordering: .releasing) }
}
