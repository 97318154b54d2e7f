import ArgumentParser
import Foundation
import MeshLog

extension MeshProbe {
    struct LogCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "Inspect a node's event logs offline (read-only; safe next to a running node).",
            discussion: """
                DIR is one event log directory (it holds MANIFEST and *.seg files) or a node's data directory, \
                whose subdirectories DATA/<service>/ each hold one log.
                """,
            subcommands: [Stats.self, Tail.self, Verify.self])

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Segments (base sequence, records, bytes, sealed or active) and record counts by type.")

            @Argument(help: "A log directory or a node's data directory.")
            var directory: String

            @OptionGroup var output: OutputOptions

            func run() throws {
                let logs = try LogDirectories.inspect(directory, json: output.json)
                let stats = try logs.map { log throws(ProbeFailure) in try LogStatsJSON.Log(log) }
                if output.json {
                    printJSON(LogStatsJSON(logs: stats))
                } else {
                    for (i, log) in stats.enumerated() {
                        if i > 0 { print("") }
                        for line in LogTables.stats(log, width: output.width) { print(line) }
                    }
                }
                try finish(problems: logs.flatMap(LogDirectories.problems))
            }
        }

        struct Tail: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The last records, decoded: sequence, time, type, stream key, payload size and fields.")

            @Argument(help: "A log directory or a node's data directory.")
            var directory: String

            @Option(name: .short, help: "How many records (per log).")
            var n: Int = 10

            @OptionGroup var output: OutputOptions

            func validate() throws {
                guard n > 0 else { throw ValidationError("-n must be at least 1") }
            }

            func run() throws {
                let logs = try LogDirectories.inspect(directory, json: output.json)
                let tails = try logs.map { log throws(ProbeFailure) in try LogTailJSON.Log(log, last: n) }
                if output.json {
                    printJSON(LogTailJSON(logs: tails))
                } else {
                    for (i, log) in tails.enumerated() {
                        if i > 0 { print("") }
                        for line in LogTables.tail(log, width: output.width) { print(line) }
                    }
                }
                try finish(problems: logs.flatMap(LogDirectories.problems))
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check every header, chain link and record checksum; name the file and offset of damage.",
                discussion: """
                    Exit 1 on corruption: a damaged sealed segment, a broken chain of sequences or a bad MANIFEST \
                    (a writer refuses to open such a log). A torn tail of the active segment (the unacknowledged \
                    end of a crash, which the writer truncates on open) is reported but is not a problem.
                    """)

            @Argument(help: "A log directory or a node's data directory.")
            var directory: String

            @OptionGroup var output: OutputOptions

            func run() throws {
                let logs = try LogDirectories.inspect(directory, json: output.json)
                let result = LogVerifyJSON(logs: logs)
                if output.json {
                    printJSON(result)
                } else {
                    for log in result.logs {
                        let summary = "\(log.directory): \(log.segments) segments, \(log.records) records"
                        let corrupt = log.damage.filter { $0.kind == "corruption" }
                        print(summary + (corrupt.isEmpty ? ": ok" : ": DAMAGED"))
                        for d in log.damage {
                            let note = d.kind == "tornTail" ? " (torn tail: the writer truncates it on open)" : ""
                            print("  \(d.kind) in \(d.file) at offset \(d.offset): \(d.reason)\(note)")
                        }
                    }
                }
                try finish(problems: result.problems)
            }
        }
    }
}

/// Finds and inspects the logs under a directory.
enum LogDirectories {
    static func inspect(_ directory: String, json: Bool) throws(ProbeFailure) -> [LogInspection] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProbeFailure(.usage, "\(directory) is not a directory").withJSON(json)
        }
        var found: [String] = []
        if LogInspection.isLogDirectory(directory) {
            found = [directory]
        } else {
            let children = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            found = children.sorted().map { (directory as NSString).appendingPathComponent($0) }.filter {
                LogInspection.isLogDirectory($0)
            }
        }
        guard !found.isEmpty else {
            throw ProbeFailure(.usage, "no event log in \(directory) (no MANIFEST or *.seg, nor in its subdirectories)")
                .withJSON(json)
        }
        do {
            return try found.map { path throws(LogError) in try LogInspection.inspect(directory: path) }
        } catch {
            throw ProbeFailure(.usage, "cannot read the log: \(error)").withJSON(json)
        }
    }

    static func problems(_ log: LogInspection) -> [String] {
        log.damage.filter { $0.kind == .corruption }.map(\.description)
    }

    static func records(_ log: LogInspection, _ segment: LogInspection.Segment) throws(ProbeFailure) -> [LogRecord] {
        do {
            return try log.records(of: segment)
        } catch {
            throw ProbeFailure(.usage, "cannot read \(segment.path): \(error)")
        }
    }

    /// Nanoseconds since the Unix epoch as ISO 8601 UTC with milliseconds.
    static func time(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }

    static func epoch(_ e: UInt64?) -> String? {
        e.map { "0x" + String(repeating: "0", count: 16 - String($0, radix: 16).count) + String($0, radix: 16) }
    }
}

/// `meshprobe log stats --json`.
struct LogStatsJSON: Encodable {
    struct Segment: Encodable {
        var name: String
        var baseSequence: UInt64
        var records: Int
        var bytes: Int
        /// `sealed` or `active`.
        var state: String
        var firstTime: String?
        var lastTime: String?
    }
    struct TypeCount: Encodable {
        var type: UInt16
        var records: Int
    }
    struct Log: Encodable {
        var directory: String
        /// The MANIFEST's epoch, hex; absent when MANIFEST is missing or damaged.
        var epoch: String?
        var segments: [Segment]
        var records: Int
        var bytes: Int
        var firstSequence: UInt64?
        var lastSequence: UInt64?
        var types: [TypeCount]
        var damage: Int

        init(_ log: LogInspection) throws(ProbeFailure) {
            directory = log.directory
            epoch = LogDirectories.epoch(log.epoch)
            segments = log.segments.map {
                Segment(
                    name: $0.name, baseSequence: $0.baseSequence, records: $0.records, bytes: $0.fileBytes,
                    state: $0.isActive ? "active" : "sealed", firstTime: $0.firstTimestamp.map(LogDirectories.time),
                    lastTime: $0.lastTimestamp.map(LogDirectories.time))
            }
            records = log.segments.reduce(0) { $0 + $1.records }
            bytes = log.segments.reduce(0) { $0 + $1.fileBytes }
            let nonEmpty = log.segments.filter { $0.records > 0 }
            firstSequence = nonEmpty.first?.baseSequence
            lastSequence = nonEmpty.last.map { $0.baseSequence + UInt64($0.records) - 1 }
            var counts: [UInt16: Int] = [:]
            for segment in log.segments {
                for r in try LogDirectories.records(log, segment) { counts[r.type, default: 0] += 1 }
            }
            types = counts.keys.sorted().map { TypeCount(type: $0, records: counts[$0]!) }
            damage = log.damage.count
        }
    }
    var logs: [Log]
}

/// `meshprobe log tail --json`.
struct LogTailJSON: Encodable {
    struct Record: Encodable {
        var sequence: UInt64
        var time: String
        var timestampNanos: Int64
        var type: UInt16
        var streamKey: String
        var payloadBytes: Int
        /// The payload as generic fields; absent when it does not parse as the payload encoding.
        var fields: [DecodedField]?
        /// The payload in hex when it does not parse (at most 64 bytes).
        var hex: String?

        init(_ r: LogRecord) {
            sequence = r.sequence
            time = LogDirectories.time(r.timestamp)
            timestampNanos = r.timestamp
            type = r.type
            streamKey = r.streamKey
            payloadBytes = r.payload.count
            fields = GenericPayload.decode(r.payload[...])
            if fields == nil { hex = Hex.string(r.payload.prefix(64)) }
        }
    }
    struct Log: Encodable {
        var directory: String
        var records: [Record]

        init(_ log: LogInspection, last n: Int) throws(ProbeFailure) {
            directory = log.directory
            var picked: [LogRecord] = []
            for segment in log.segments.reversed() where picked.count < n {
                picked = try LogDirectories.records(log, segment).suffix(n - picked.count) + picked
            }
            records = picked.map(Record.init)
        }
    }
    var logs: [Log]
}

/// `meshprobe log verify --json`.
struct LogVerifyJSON: Encodable {
    struct Damage: Encodable {
        /// `corruption` (exit 1) or `tornTail`.
        var kind: String
        var file: String
        var offset: Int
        var reason: String
        var bytesAfter: Int
    }
    struct Log: Encodable {
        var directory: String
        var segments: Int
        var records: Int
        var damage: [Damage]
    }
    var logs: [Log]
    var ok: Bool
    var problems: [String]

    init(logs inspections: [LogInspection]) {
        logs = inspections.map { log in
            Log(
                directory: log.directory, segments: log.segments.count,
                records: log.segments.reduce(0) { $0 + $1.records },
                damage: log.damage.map {
                    Damage(
                        kind: $0.kind.rawValue, file: $0.file, offset: $0.offset, reason: $0.reason,
                        bytesAfter: $0.bytesAfter)
                })
        }
        problems = inspections.flatMap(LogDirectories.problems)
        ok = problems.isEmpty
    }
}

/// `meshprobe log stats|tail` for humans.
enum LogTables {
    static func stats(_ log: LogStatsJSON.Log, width: Int?) -> [String] {
        let range = log.firstSequence.map { "sequences \($0)...\(log.lastSequence ?? $0)" } ?? "no records"
        var lines = [
            "log \(log.directory)",
            "epoch \(log.epoch ?? "unknown"), \(log.segments.count) segments, \(log.records) records, "
                + "\(log.bytes) bytes, \(range)" + (log.damage > 0 ? ", \(log.damage) damaged (see log verify)" : ""),
        ]
        var segments = TextTable(["SEGMENT", "BASE", "RECORDS", "BYTES", "STATE", "LAST RECORD"], shrinkable: [0])
        for s in log.segments {
            segments.append([s.name, "\(s.baseSequence)", "\(s.records)", "\(s.bytes)", s.state, s.lastTime ?? "-"])
        }
        lines += segments.render(width: width)
        var types = TextTable(["TYPE", "RECORDS"])
        for t in log.types { types.append(["\(t.type)", "\(t.records)"]) }
        return lines + [""] + types.render(width: width)
    }

    static func tail(_ log: LogTailJSON.Log, width: Int?) -> [String] {
        var table = TextTable(["SEQ", "TIME", "TYPE", "KEY", "BYTES", "PAYLOAD"], shrinkable: [3, 5])
        for r in log.records {
            let payload = r.fields.map { GenericPayload.text($0) } ?? "<\(r.hex ?? "")>"
            table.append(["\(r.sequence)", r.time, "\(r.type)", r.streamKey, "\(r.payloadBytes)", payload])
        }
        return ["log \(log.directory): last \(log.records.count) records"] + table.render(width: width)
    }
}
