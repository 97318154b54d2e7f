import ArgumentParser
import MeshLog

#if canImport(Glibc)
import Glibc
#endif

/// Opens (recovers) the log, prints `ready <last sequence> <recovery µs>`, then appends deterministic records with
/// several concurrent appenders and prints `ack <seq> <crc32c> <key>` per acknowledged record (one write(2) per
/// line, so a SIGKILL never leaves a line half-printed in a buffer).
struct WriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Append and print acks.")

    @Option(help: "Log directory.") var dir: String
    @Option(help: "Records to append in total.") var count = 1_000_000
    @Option(help: "Payload bytes per record.") var payloadBytes = 100
    @Option(help: "Concurrent appenders.") var appenders = 8
    @Option(help: "Segment size limit in bytes.") var segmentBytes = 256 << 10
    @Option(help: "Wait this long after the ready line before appending, ms.") var startDelay = 0

    func run() async throws {
        let opening = ContinuousClock.now
        let log = try EventLog.open(directory: dir, configuration: LogConfiguration(segmentMaxBytes: segmentBytes))
        let recovery = (ContinuousClock.now - opening).components
        let recoveryMicroseconds = recovery.seconds * 1_000_000 + recovery.attoseconds / 1_000_000_000_000
        printLine("\(Self.readyPrefix)\(log.lastSequence) \(recoveryMicroseconds)\n")
        if startDelay > 0 { try await Task.sleep(for: .milliseconds(startDelay)) }
        let run = getpid()
        let perAppender = max(1, count / max(1, appenders))
        let payloadBytes = payloadBytes
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for i in 0..<perAppender {
                        let key = "w\(run)-\(appender)-\(i)"
                        let record = TorturePayload.record(key: key, payloadBytes: payloadBytes)
                        let sequence = try await log.append(record)
                        printLine("ack \(sequence) \(CRC32C.checksum(record.payload)) \(key)\n")
                    }
                }
            }
            try await group.waitForAll()
        }
        log.close()
    }

    /// Starts the line printed once recovery is done and appending begins.
    static let readyPrefix = "ready "
}

private func printLine(_ line: String) {
    var bytes = Array(line.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + done, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}
