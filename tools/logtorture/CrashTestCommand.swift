import ArgumentParser
import MeshLog

#if canImport(Glibc)
import Glibc
#endif

/// Runs `logtorture write` as a child, waits for its `ready` line (printed once recovery is done), SIGKILLs it
/// after a random delay counted from there, reopens the log and checks it; repeats. Exits non-zero on the first
/// iteration that finds a violation, and when most kills landed before any append was acknowledged (the run
/// then tested recovery, not crashes during appends).
struct CrashTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-test", abstract: "SIGKILL a writer at random moments and verify the log each time."
    )

    @Option(help: "Log directory (created if missing; reused across iterations).") var dir: String
    @Option(help: "Kill/reopen cycles.") var iterations = 20
    @Option(help: "Seed for the kill delays.") var seed: UInt64 = 1
    @Option(help: "Shortest delay from the writer's ready line to the kill, ms.") var minDelay = 30
    @Option(help: "Longest delay from the writer's ready line to the kill, ms.") var maxDelay = 300
    @Option(help: "Longest wait for the writer to recover the log and print its ready line, ms.")
    var readyTimeout = 60_000
    @Option(help: "Payload bytes per record.") var payloadBytes = 100
    @Option(help: "Concurrent appenders in the writer.") var appenders = 8
    @Option(help: "Writer waits this long after its ready line before appending, ms (to test the in-flight check).")
    var writerStartDelay = 0
    @Option(help: "Segment size limit in bytes (small, so kills also land around segment rolls).")
    var segmentBytes = 64 << 10

    func run() async throws {
        var random = seed
        var acknowledged: [UInt64: Acknowledgement] = [:]
        var truncations = 0
        var killsDuringAppends = 0
        let executable = try Self.ownExecutable()
        let iterations = max(1, iterations)
        for iteration in 1...iterations {
            let delay = minDelay + Int(TorturePayload.splitMix(&random) % UInt64(max(1, maxDelay - minDelay + 1)))
            var child = try ChildProcess([
                executable, "write", "--dir", dir, "--appenders", "\(appenders)", "--payload-bytes", "\(payloadBytes)",
                "--segment-bytes", "\(segmentBytes)", "--start-delay", "\(writerStartDelay)",
            ])
            guard let ready = child.collect(untilLineStartingWith: WriteCommand.readyPrefix, milliseconds: readyTimeout)
            else {
                child.kill()
                throw fail(
                    iteration,
                    "writer printed no ready line within \(readyTimeout) ms (exit status \(child.exitStatus ?? -1))"
                )
            }
            child.collect(forMilliseconds: delay)
            child.kill()
            guard child.wasKilled else {
                throw fail(iteration, "writer exited on its own (status \(child.exitStatus ?? -1)) before the kill")
            }
            var fresh = 0
            let (acks, malformed) = Acknowledgement.parse(child.collected)
            if let line = malformed.first { throw fail(iteration, "writer printed a malformed line: \(line)") }
            for ack in acks {
                if let earlier = acknowledged[ack.sequence], earlier != ack {
                    throw fail(iteration, "sequence \(ack.sequence) acknowledged twice: \(earlier.key) and \(ack.key)")
                }
                acknowledged[ack.sequence] = ack
                fresh += 1
            }
            // The appenders run without pause once the first append is acknowledged, so a kill after that lands
            // while appends are in flight.
            if fresh > 0 { killsDuringAppends += 1 }
            let (last, truncated) = try verify(iteration, acknowledged)
            truncations += truncated
            let recovery = ready.split(separator: " ").dropFirst(2).first.flatMap { Int($0) }.map { $0 / 1000 }
            print(
                "iteration \(iteration): ready after recovery of \(recovery.map(String.init) ?? "?") ms, "
                    + "killed \(delay) ms later, \(fresh) new acks, log ends at \(last), torn tail bytes \(truncated)"
            )
        }
        let summary =
            "crash-test: \(iterations) iterations, \(acknowledged.count) acknowledged records verified, "
            + "\(truncations) torn-tail bytes truncated, \(killsDuringAppends) of \(iterations) kills landed while "
            + "appends were in flight"
        guard killsDuringAppends * 2 >= iterations else {
            print(
                summary + "; FAILED: most kills landed before the writer acknowledged any append "
                    + "(raise --min-delay/--max-delay so kills hit appends, not recovery)"
            )
            throw ExitCode(1)
        }
        print(summary + ", 0 violations")
    }

    /// Reopens the log and checks: contiguous sequences, every record whole and matching its key, every
    /// acknowledged record present with its acknowledged checksum. Returns the last sequence and bytes truncated.
    private func verify(_ iteration: Int, _ acknowledged: [UInt64: Acknowledgement]) throws -> (UInt64, Int) {
        let log: EventLog
        do {
            log = try EventLog.open(directory: dir, configuration: LogConfiguration(segmentMaxBytes: segmentBytes))
        } catch {
            throw fail(iteration, "reopen failed: \(error)")
        }
        defer { log.close() }
        var next: UInt64 = 1
        var seen = 0
        while true {
            let page = try log.read(from: next, limit: 4096)
            if page.isEmpty { break }
            for record in page {
                guard record.sequence == next else {
                    throw fail(iteration, "expected sequence \(next), read \(record.sequence)")
                }
                let expected = TorturePayload.bytes(for: record.streamKey, count: payloadBytes)
                guard record.type == TorturePayload.recordType, record.payload == expected else {
                    throw fail(iteration, "record \(record.sequence) (\(record.streamKey)) is not the record written")
                }
                if let ack = acknowledged[record.sequence] {
                    guard ack.key == record.streamKey, ack.checksum == CRC32C.checksum(record.payload) else {
                        throw fail(iteration, "record \(record.sequence) differs from its acknowledgement \(ack)")
                    }
                    seen += 1
                }
                next += 1
            }
        }
        guard seen == acknowledged.count else {
            let missing = acknowledged.keys.filter { $0 >= next }.sorted().prefix(5)
            throw fail(iteration, "\(acknowledged.count - seen) acknowledged records missing, e.g. \(Array(missing))")
        }
        return (next - 1, log.recoveryReport.truncatedTails.reduce(0) { $0 + $1.droppedBytes })
    }

    private func fail(_ iteration: Int, _ violation: String) -> ExitCode {
        print("crash-test: VIOLATION in iteration \(iteration): \(violation)")
        return ExitCode(1)
    }

    private static func ownExecutable() throws(ToolError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw ToolError("cannot read /proc/self/exe") }
        return String(cString: Array(buffer[0..<n]) + [0])
    }
}

/// One `ack <seq> <crc32c> <key>` line printed by the writer.
struct Acknowledgement: Hashable, CustomStringConvertible {
    var sequence: UInt64
    var checksum: UInt32
    var key: String

    /// Parses complete lines only (a line cut by the kill, without its newline, was never fully acknowledged);
    /// returns the acknowledgements and any complete lines that are neither acknowledgements nor the ready line.
    static func parse(_ output: [UInt8]) -> (acks: [Acknowledgement], malformed: [String]) {
        guard let lastNewline = output.lastIndex(of: UInt8(ascii: "\n")) else { return ([], []) }
        let text = String(decoding: output[...lastNewline], as: UTF8.self)
        var acks: [Acknowledgement] = []
        var malformed: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix(WriteCommand.readyPrefix) {
            let fields = line.split(separator: " ")
            if fields.count == 4, fields[0] == "ack", let sequence = UInt64(fields[1]), let checksum = UInt32(fields[2])
            {
                acks.append(Acknowledgement(sequence: sequence, checksum: checksum, key: String(fields[3])))
            } else {
                malformed.append(String(line))
            }
        }
        return (acks, malformed)
    }

    var description: String { "ack \(sequence) \(checksum) \(key)" }
}
