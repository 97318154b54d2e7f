// LogBench: run in release from Benchmarks/LogBench:
//   swift run -c release LogBench [seconds] [recoveryMiB] [rounds] [appender counts, e.g. 1,8,64]
// LOGBENCH_DIR=/some/dir puts the scratch directory on another file system (default /tmp).
import Glibc

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let recoveryMiB = arguments.count > 2 ? Int(arguments[2]) ?? 1024 : 1024
let appenderCounts = arguments.count > 4 ? arguments[4].split(separator: ",").compactMap { Int($0) } : [1, 8, 64]
let scratchParent = getenv("LOGBENCH_DIR").map { String(cString: $0) } ?? "/tmp"
let scratch = "\(scratchParent)/logbench-\(getpid())"
_ = mkdir(scratch, 0o755)

var loadavg = [Double](repeating: 0, count: 3)
_ = getloadavg(&loadavg, 3)
let load = loadavg.map { format($0, decimals: 2) }
print("LogBench: \(seconds) s per run, 256 B payloads, scratch \(scratch), load average \(load)")

let fsync = measureFdatasyncRate(directory: scratch, seconds: 2)
print(
    "raw 4 KiB write+fdatasync, 2 s: \(format(fsync.perSecond))/s, "
        + "p50 \(format(fsync.percentile(0.5), decimals: 2)) ms, "
        + "p99 \(format(fsync.percentile(0.99), decimals: 2)) ms")

let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3

/// The run with the median throughput.
func median(_ runs: [RunResult]) -> RunResult { runs.sorted { $0.perSecond < $1.perSecond }[runs.count / 2] }

if seconds > 0 {
    // The disk is shared with other work, so its fsync rate drifts: every round measures the fdatasync limit,
    // MeshLog and SQLite back to back (alternating which store goes first), and the table shows medians.
    print("")
    print(
        "Medians of \(rounds) rounds; each round: fdatasync probe (\(min(1, seconds)) s), then MeshLog and SQLite "
            + "(alternating order).")
    print("")
    print(
        "| appenders | fdatasync/s (disk limit) | MeshLog appends/s | MeshLog p50 / p99 ms | SQLite appends/s "
            + "| SQLite p50 / p99 ms | MeshLog ÷ SQLite | MeshLog ÷ fdatasync | per-round MeshLog ÷ fdatasync, "
            + "median (min–max) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for appenders in appenderCounts {
        var probes: [RunResult] = []
        var meshRuns: [RunResult] = []
        var liteRuns: [RunResult] = []
        for round in 0..<rounds {
            probes.append(measureFdatasyncRate(directory: scratch, seconds: min(1, seconds)))
            func mesh() async throws {
                meshRuns.append(
                    try await measureMeshLogAppends(directory: scratch + "/log", appenders: appenders, seconds: seconds)
                )
                removeTree(scratch + "/log")
            }
            func lite() {
                liteRuns.append(
                    measureSQLiteAppends(path: scratch + "/sqlite.db", appenders: appenders, seconds: seconds)
                )
                removeTree(scratch + "/sqlite.db*")
            }
            if round % 2 == 0 {
                try await mesh()
                lite()
            } else {
                lite()
                try await mesh()
            }
        }
        let fs = median(probes)
        let m = median(meshRuns)
        let l = median(liteRuns)
        // The disk's rate drifts between rounds; the ratio within a round compares like with like.
        let ratios = (0..<rounds).map { meshRuns[$0].perSecond / probes[$0].perSecond }.sorted()
        print(
            "| \(appenders) | \(format(fs.perSecond)) | \(format(m.perSecond)) | "
                + "\(format(m.percentile(0.5), decimals: 2)) / "
                + "\(format(m.percentile(0.99), decimals: 2)) | \(format(l.perSecond)) | "
                + "\(format(l.percentile(0.5), decimals: 2)) / \(format(l.percentile(0.99), decimals: 2)) | "
                + "\(format(m.perSecond / l.perSecond, decimals: 1))x | "
                + "\(format(m.perSecond / fs.perSecond, decimals: 1))x | "
                + "\(format(ratios[rounds / 2], decimals: 2))x (\(format(ratios[0], decimals: 2))–"
                + "\(format(ratios[rounds - 1], decimals: 2))) |")
        let each = (0..<rounds).map { r in
            "\(format(probes[r].perSecond))/\(format(meshRuns[r].perSecond))/\(format(liteRuns[r].perSecond))"
        }
        print("<!-- \(appenders) appenders, per round fdatasync/MeshLog/SQLite: \(each.joined(separator: ", ")) -->")
    }
}

if recoveryMiB > 0 {
    let r = try await measureRecoveryAndReads(directory: scratch + "/big", bytes: recoveryMiB << 20)
    let mib = Double(r.logBytes) / Double(1 << 20)
    print("")
    print("| log size | records | recovery, cold cache | recovery, warm cache | read records/s | read MB/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        "| \(format(mib)) MiB | \(r.records) | \(format(r.coldSeconds, decimals: 2)) s "
            + "(\(format(mib * 1.048576 / r.coldSeconds)) MB/s) | \(format(r.warmSeconds, decimals: 2)) s | "
            + "\(format(Double(r.readRecords) / r.readSeconds)) | \(format(mib * 1.048576 / r.readSeconds)) |")
    removeTree(scratch + "/big")
}
removeTree(scratch)
