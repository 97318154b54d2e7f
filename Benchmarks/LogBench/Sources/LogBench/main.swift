// LogBench: run in release from Benchmarks/LogBench:  swift run -c release LogBench [seconds] [recoveryMiB]
import Glibc

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let recoveryMiB = arguments.count > 2 ? Int(arguments[2]) ?? 1024 : 1024
let scratch = "/tmp/logbench-\(getpid())"
_ = mkdir(scratch, 0o755)

var loadavg = [Double](repeating: 0, count: 3)
_ = getloadavg(&loadavg, 3)
print("LogBench: \(seconds) s per run, 256 B payloads, scratch \(scratch), load average \(loadavg.map { format($0, decimals: 2) })")

let fsync = measureFdatasyncRate(directory: scratch, seconds: 2)
print("raw 4 KiB write+fdatasync: \(format(fsync.perSecond))/s, p50 \(format(fsync.percentile(0.5), decimals: 2)) ms, "
    + "p99 \(format(fsync.percentile(0.99), decimals: 2)) ms")

if seconds > 0 {
print("")
print("| appenders | MeshLog appends/s | MeshLog p50 / p99 ms | SQLite appends/s | SQLite p50 / p99 ms | ratio | vs fdatasync limit |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for appenders in [1, 8, 64] {
    let mesh = try await measureMeshLogAppends(directory: scratch + "/log-\(appenders)", appenders: appenders, seconds: seconds)
    removeTree(scratch + "/log-\(appenders)")
    let lite = measureSQLiteAppends(path: scratch + "/sqlite-\(appenders).db", appenders: appenders, seconds: seconds)
    removeTree(scratch + "/sqlite-\(appenders).db*")
    print("| \(appenders) | \(format(mesh.perSecond)) | \(format(mesh.percentile(0.5), decimals: 2)) / "
        + "\(format(mesh.percentile(0.99), decimals: 2)) | \(format(lite.perSecond)) | "
        + "\(format(lite.percentile(0.5), decimals: 2)) / \(format(lite.percentile(0.99), decimals: 2)) | "
        + "\(format(mesh.perSecond / lite.perSecond, decimals: 1))x | "
        + "\(format(mesh.perSecond / fsync.perSecond, decimals: 1))x |")
}
}

if recoveryMiB > 0 {
    let r = try await measureRecoveryAndReads(directory: scratch + "/big", bytes: recoveryMiB << 20)
    let mib = Double(r.logBytes) / Double(1 << 20)
    print("")
    print("| log size | records | recovery, cold cache | recovery, warm cache | read records/s | read MB/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("| \(format(mib)) MiB | \(r.records) | \(format(r.coldSeconds, decimals: 2)) s "
        + "(\(format(mib * 1.048576 / r.coldSeconds)) MB/s) | \(format(r.warmSeconds, decimals: 2)) s | "
        + "\(format(Double(r.readRecords) / r.readSeconds)) | \(format(mib * 1.048576 / r.readSeconds)) |")
    removeTree(scratch + "/big")
}
removeTree(scratch)
