import Foundation
import MeshCore
import MeshLog
import MeshNode
import MeshSaga
import Testing

/// Restart time of a hosted service (log open + snapshot load + fold) at 10k and 1M events, with and without a
/// snapshot. Not a timed test: it prints a table, and runs only with `MESH_BENCH=1`
/// (`MESH_BENCH=1 swift test -c release --filter HostRestartBenchmark`). `MESH_BENCH_EVENTS=10000,1000000`
/// picks the sizes.
@Suite("hosted service restart benchmark", .enabled(if: ProcessInfo.processInfo.environment["MESH_BENCH"] == "1"))
struct HostRestartBenchmark {
    /// Writes `count` counter events (1,000 counters, 100 request ids each, so the state stays ~100k entries) the
    /// way the host writes them: one `EventBatch` record per decision, appended 10,000 records per commit.
    static func fill(_ dir: String, count: Int) async throws {
        let log = try EventLog.open(directory: dir + "/test-counter")
        defer { log.close() }
        var n = 0
        while n < count {
            var records: [NewRecord] = []
            for _ in 0..<min(10_000, count - n) {
                let key = "counter-\(n % 1_000)"
                let event = DomainEvent(
                    type: TestCounterDomain.added, streamKey: key,
                    payload: addition(key, 1, "r\((n / 1_000) % 100)").encoded())
                records.append(
                    NewRecord(
                        type: EventBatch.recordType, streamKey: key,
                        payload: EventBatch(events: [event], decidedAt: 1_700_000_000_000_000_000 + Int64(n)).encoded())
                )
                n += 1
            }
            _ = try await log.append(records)
        }
    }

    struct Row {
        var events: Int
        var snapshot: Bool
        var open: [Double] = []
        var fold: [Double] = []
        var folded = 0
        var snapshotBytes = 0
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    @Test func restartTime() async throws {
        let sizes = (ProcessInfo.processInfo.environment["MESH_BENCH_EVENTS"] ?? "10000,1000000")
            .split(separator: ",").compactMap { Int($0) }
        var rows: [Row] = []
        for size in sizes {
            let f = try HostFixture()
            defer { f.cleanUp() }
            try await Self.fill(f.dir, count: size)
            for withSnapshot in [false, true] {
                var row = Row(events: size, snapshot: withSnapshot)
                if withSnapshot {
                    let host = try f.host(TestCounterDomain.self, "test-counter-0")
                    try await f.running(host) { _ = try await host.snapshot() }
                    let files = try FileManager.default.contentsOfDirectory(atPath: f.dir + "/test-counter/snapshots")
                    row.snapshotBytes =
                        (try FileManager.default.attributesOfItem(
                            atPath: f.dir + "/test-counter/snapshots/" + files[0])[.size] as? Int) ?? 0
                }
                for _ in 0..<3 {
                    let host = try f.host(TestCounterDomain.self, "test-counter-0")
                    let recovery = try host.open()
                    host.stop()
                    row.open.append(Double(recovery.logOpen.nanoseconds) / 1e6)
                    row.fold.append(Double(recovery.fold.nanoseconds) / 1e6)
                    row.folded = recovery.recordsFolded
                }
                rows.append(row)
            }
        }
        print("hosted service restart (test-counter; median of 3 opens, ms)")
        print("events     snapshot  snapshot bytes  folded     log open  snapshot+fold  total")
        for r in rows {
            let open = Self.median(r.open)
            let fold = Self.median(r.fold)
            print(
                String(r.events).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + (r.snapshot ? "yes" : "no").padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(r.snapshotBytes).padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(r.folded).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + String(format: "%8.1f  %13.1f  %6.1f", open, fold, open + fold))
        }
        #expect(rows.allSatisfy { !$0.open.isEmpty })
    }
}
