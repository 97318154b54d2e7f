import CSQLite
import Glibc

/// SQLite with the same durability promise: WAL, `synchronous=FULL`, one `INSERT` per transaction, acknowledged
/// when `COMMIT` returns. Concurrency is *serialized*: one connection shared by `appenders` threads under a
/// mutex (SQLite has one writer at a time anyway; a connection per thread would only add busy-wait sleeps).
final class SQLiteTarget: @unchecked Sendable {
    // Safety: `db` and `insert` are only touched while `lock` is held (or before threads start / after they join).
    private var db: OpaquePointer?
    private var insert: OpaquePointer?
    private var lock = pthread_mutex_t()

    init(path: String) {
        unlink(path)
        unlink(path + "-wal")
        unlink(path + "-shm")
        precondition(sqlite3_open(path, &db) == SQLITE_OK)
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=FULL")
        exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, type INTEGER, payload BLOB)")
        precondition(
            sqlite3_prepare_v2(db, "INSERT INTO events (stream, type, payload) VALUES (?, 1, ?)", -1, &insert, nil)
                == SQLITE_OK
        )
        pthread_mutex_init(&lock, nil)
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_close(db)
    }

    private func exec(_ sql: String) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &error)
        precondition(rc == SQLITE_OK, "\(sql): \(error.map { String(cString: $0) } ?? "rc \(rc)")")
    }

    /// One durable insert in its own transaction.
    func append(stream: String) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        exec("BEGIN")
        sqlite3_reset(insert)
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        _ = stream.withCString { sqlite3_bind_text(insert, 1, $0, -1, transient) }
        _ = payload256.withUnsafeBytes {
            sqlite3_bind_blob(insert, 2, $0.baseAddress, 256, transient)
        }
        precondition(sqlite3_step(insert) == SQLITE_DONE)
        exec("COMMIT")
    }
}

/// Per-thread state of one SQLite appender (plain threads: SQLite blocks in fsync).
private final class AppenderBox: @unchecked Sendable {
    // Safety: written only by its own thread, read by the main thread after `pthread_join`.
    var latencies: [UInt64] = []
    let target: SQLiteTarget
    let end: UInt64
    let stream: String
    init(target: SQLiteTarget, end: UInt64, stream: String) {
        self.target = target
        self.end = end
        self.stream = stream
    }
}

func measureSQLiteAppends(path: String, appenders: Int, seconds: Double) -> RunResult {
    let target = SQLiteTarget(path: path)
    let start = nowNanos()
    let end = start + UInt64(seconds * 1e9)
    var boxes: [AppenderBox] = []
    var threads: [pthread_t] = []
    for a in 0..<appenders {
        let box = AppenderBox(target: target, end: end, stream: "stream-\(a % 16)")
        boxes.append(box)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<AppenderBox>.fromOpaque(raw!).takeRetainedValue()
                while nowNanos() < box.end {
                    let t0 = nowNanos()
                    box.target.append(stream: box.stream)
                    box.latencies.append(nowNanos() - t0)
                }
                return nil
            }, context)
        precondition(rc == 0)
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
    let elapsed = Double(nowNanos() - start) / 1e9
    let all = boxes.flatMap(\.latencies)
    return RunResult(operations: all.count, seconds: elapsed, latencies: all)
}
