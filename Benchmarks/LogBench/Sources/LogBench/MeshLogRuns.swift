import Glibc
import MeshLog
import Synchronization

/// The appends' log configuration: the defaults, except `LOGBENCH_PREALLOCATION=<bytes>` (e.g. 0 to measure
/// appends that extend the file).
func benchmarkConfiguration() -> LogConfiguration {
    var configuration = LogConfiguration()
    if let value = getenv("LOGBENCH_PREALLOCATION").flatMap({ Int(String(cString: $0)) }) {
        configuration.preallocationBytes = value
    }
    return configuration
}

/// `appenders` concurrent tasks each append one 256 B record at a time, awaiting durability, for `seconds`.
func measureMeshLogAppends(directory: String, appenders: Int, seconds: Double) async throws -> RunResult {
    removeTree(directory)
    let log = try EventLog.open(directory: directory, configuration: benchmarkConfiguration())
    defer { log.close() }
    let start = nowNanos()
    let end = start + UInt64(seconds * 1e9)
    let perTask = try await withThrowingTaskGroup(of: [UInt64].self) { group in
        for a in 0..<appenders {
            group.addTask {
                var latencies: [UInt64] = []
                let record = NewRecord(type: 1, streamKey: "stream-\(a % 16)", payload: payload256)
                while nowNanos() < end {
                    let t0 = nowNanos()
                    _ = try await log.append(record)
                    latencies.append(nowNanos() - t0)
                }
                return latencies
            }
        }
        var all: [UInt64] = []
        for try await part in group { all += part }
        return all
    }
    let elapsed = Double(nowNanos() - start) / 1e9
    return RunResult(operations: perTask.count, seconds: elapsed, latencies: perTask)
}

/// Fills a fresh log with about `bytes` of 256 B records (large batches), closes it, and times `EventLog.open`.
/// Then reads every record back in chunks and reports read throughput.
func measureRecoveryAndReads(directory: String, bytes: Int) async throws -> (
    records: Int, logBytes: Int, coldSeconds: Double, warmSeconds: Double, readSeconds: Double, readRecords: Int
) {
    removeTree(directory)
    let recordBytes = 28 + "stream-00".utf8.count + payload256.count
    let total = bytes / recordBytes
    do {
        let log = try EventLog.open(directory: directory)
        let batch = 4096
        var written = 0
        // A few writers in flight keep the disk busy while batches are encoded.
        while written < total {
            let n = min(batch * 4, total - written)
            try await withThrowingTaskGroup(of: Void.self) { group in
                var offset = 0
                while offset < n {
                    let count = min(batch, n - offset)
                    let base = written + offset
                    group.addTask {
                        let records = (0..<count).map { i in
                            NewRecord(type: 1, streamKey: "stream-\((base + i) % 64 + 10)", payload: payload256)
                        }
                        _ = try await log.append(records)
                    }
                    offset += count
                }
                try await group.waitForAll()
            }
            written += n
        }
        log.close()
    }
    // Cold: drop the page cache first (needs root; ignored otherwise), so the segments come from the disk.
    shell("sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null")
    let t0 = nowNanos()
    let cold = try EventLog.open(directory: directory)
    let coldSeconds = Double(nowNanos() - t0) / 1e9
    cold.close()
    // Warm: the segments are in the page cache (a process restart, not a machine reboot).
    let t1 = nowNanos()
    let log = try EventLog.open(directory: directory)
    let warmSeconds = Double(nowNanos() - t1) / 1e9
    defer { log.close() }
    let logBytes = log.segments.reduce(0) { $0 + $1.bytes }
    let t2 = nowNanos()
    var next: UInt64 = 1
    var readCount = 0
    while true {
        let chunk = try log.read(from: next, limit: 8192)
        if chunk.isEmpty { break }
        readCount += chunk.count
        next = chunk[chunk.count - 1].sequence + 1
    }
    let readSeconds = Double(nowNanos() - t2) / 1e9
    return (total, logBytes, coldSeconds, warmSeconds, readSeconds, readCount)
}
