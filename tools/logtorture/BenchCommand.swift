import ArgumentParser
import MeshLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A quick, throwaway measurement of durable appends per second at several appender counts.
/// Numbers on a shared 2-core VM are noisy: compare ratios, never assert on them.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure durable appends/s.")

    @Option(help: "Scratch directory; a fresh sub-directory is used per run.") var dir: String
    @Option(help: "Comma-separated appender counts.") var appenders = "1,8,64"
    @Option(help: "Seconds per run.") var seconds = 2.0
    @Option(help: "Payload bytes per record.") var payloadBytes = 100

    func run() async throws {
        for count in appenders.split(separator: ",").compactMap({ Int($0) }) {
            let counting = SyncCountingFileSystem()
            let directory = "\(dir)/bench-\(count)-\(getpid())"
            let log = try EventLog.open(directory: directory, fileSystem: counting)
            let record = TorturePayload.record(key: "bench", payloadBytes: payloadBytes)
            let duration = Duration.milliseconds(Int64(seconds * 1000))
            let start = ContinuousClock.now
            let appended = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        var done = 0
                        while ContinuousClock.now - start < duration {
                            _ = try await log.append(record)
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - start
            let rate =
                Double(appended) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            let syncs = counting.syncs.withLock { $0 }
            log.close()
            print(
                "appenders \(count): \(Int(rate)) durable appends/s, \(appended) appends, \(syncs) fdatasyncs, "
                    + "\(syncs > 0 ? Double(appended) / Double(syncs) : 0) appends per sync"
            )
        }
    }
}

/// `PosixFileSystem` that counts file syncs.
final class SyncCountingFileSystem: LogFileSystem {
    let syncs = Mutex(0)
    private let base = PosixFileSystem()

    func sync(_ file: LogFileHandle) throws(LogError) {
        try base.sync(file)
        syncs.withLock { $0 += 1 }
    }

    func open(_ path: String, mode: LogOpenMode) throws(LogError) -> LogFileHandle { try base.open(path, mode: mode) }
    func close(_ file: LogFileHandle) { base.close(file) }
    func read(_ file: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        try base.read(file, at: offset, count: count)
    }
    func write(_ file: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        try base.write(file, bytes, at: offset)
    }
    func size(_ file: LogFileHandle) throws(LogError) -> Int { try base.size(file) }
    func truncate(_ file: LogFileHandle, to size: Int) throws(LogError) { try base.truncate(file, to: size) }
    func syncDirectory(_ path: String) throws(LogError) { try base.syncDirectory(path) }
    func rename(_ from: String, to: String) throws(LogError) { try base.rename(from, to: to) }
    func remove(_ path: String) throws(LogError) { try base.remove(path) }
    func list(_ directory: String) throws(LogError) -> [String] { try base.list(directory) }
    func createDirectory(_ path: String) throws(LogError) { try base.createDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func lock(_ path: String) throws(LogError) -> LogFileHandle { try base.lock(path) }
    func unlock(_ file: LogFileHandle) { base.unlock(file) }
}
