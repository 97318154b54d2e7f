extension EventLog {
    /// Appends `records` in order and returns their sequence numbers once they are durable.
    ///
    /// Concurrent callers are committed together: one write and one fdatasync per batch. Throws
    /// `recordTooLarge` before queueing anything, `fsyncFailed`/`ioError` if the batch's commit failed (the log
    /// then refuses everything with `logFailed`), `closed` after `close()`.
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
                if batch.isEmpty { q.flushScheduled = false }
                return (batch, q.refusal)
            }
            if batch.isEmpty { return }
            if let refusal {
                for pending in batch { pending.continuation.resume(returning: .failure(refusal)) }
                continue
            }
            switch commit(batch) {
            case .success(let sequences):
                for (pending, assigned) in zip(batch, sequences) {
                    pending.continuation.resume(returning: .success(assigned))
                }
            case .failure(let error):
                let refusal = LogError(
                    .logFailed, "an earlier write or sync failed; reopen the log to recover", file: directory,
                    cause: error
                )
                queue.withLock { q in q.refusal = refusal }
                index.withLock { ix in ix.refusal = refusal }
                for pending in batch { pending.continuation.resume(returning: .failure(error)) }
            }
        }
    }

    /// Writes one batch with one write and one sync (rolling the segment first if it would overflow),
    /// then publishes it to the index. Returns each append's sequence numbers.
    private func commit(_ batch: [AppendQueue.Pending]) -> Result<[[UInt64]], LogError> {
        let fs = fileSystem
        let timestamp = configuration.wallClock()
        return active.withLock { segment -> Result<[[UInt64]], LogError> in
            var bytes: [UInt8] = []
            var relativeOffsets: [Int] = []
            var keys: [String] = []
            var sequences: [[UInt64]] = []
            var next = segment.lastSequence + 1
            for pending in batch {
                var assigned: [UInt64] = []
                for record in pending.records {
                    relativeOffsets.append(bytes.count)
                    keys.append(record.streamKey)
                    RecordCodec.encode(record, sequence: next, timestamp: timestamp, into: &bytes)
                    assigned.append(next)
                    next += 1
                }
                sequences.append(assigned)
            }
            do throws(LogError) {
                if segment.size > LogLayout.segmentHeaderBytes
                    && segment.size + bytes.count > configuration.segmentMaxBytes
                {
                    let fresh = try Self.createSegment(
                        fs, directory: directory, epoch: epoch, baseSequence: segment.lastSequence + 1
                    )
                    segment = ActiveSegment(
                        name: fresh.name, path: fresh.path, handle: fresh.handle, size: fresh.size,
                        lastSequence: segment.lastSequence
                    )
                    index.withLock { ix in ix.segments.append(fresh) }
                }
                try fs.write(segment.handle, bytes, at: segment.size)
                try fs.sync(segment.handle)
            } catch {
                var located = error
                if located.file == nil { located.file = segment.path }
                if located.offset == nil { located.offset = segment.size }
                return .failure(located)
            }
            let start = segment.size
            segment.size += bytes.count
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
            return .success(sequences)
        }
    }
}
