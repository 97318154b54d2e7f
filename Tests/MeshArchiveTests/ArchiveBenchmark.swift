import Foundation
import MeshLog
import Testing

@testable import MeshArchive

/// `MESH_BENCH=1`: appends/s with archiving off and on (to SeaweedFS and to PostgreSQL), same run, and archive
/// throughput to each store. Prints tables; asserts only that every record made it.
@Suite(.serialized) struct ArchiveBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["MESH_BENCH"] == "1"

    private func appendRun(
        _ temp: TemporaryDirectory, _ name: String, records: Int, destination: (any SegmentArchiveDestination)?
    ) async throws -> (appendsPerSecond: Double, archived: Int) {
        let log = try EventLog.open(directory: temp.sub(name), configuration: LogConfiguration(segmentMaxBytes: 256 << 10))
        defer { log.close() }
        let archiver = try destination.map {
            try SegmentArchiver(
                log: log, destinations: [$0], configuration: .init(pollInterval: .milliseconds(20)),
                logger: ArchiveFixture.logger
            )
        }
        let runner = archiver.map { a in Task { await a.run() } }
        let appenders = 16
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<appenders {
                group.addTask {
                    for i in 0..<(records / appenders) {
                        _ = try await log.append(
                            NewRecord(type: 1, streamKey: "hotel-\(a)-\(i % 50)", payload: Array(repeating: UInt8(i & 0xff), count: 200))
                        )
                        if i % 64 == 0 { archiver?.segmentsMayHaveSealed() }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Self.seconds(ContinuousClock.now - started)
        runner?.cancel()
        _ = await runner?.value
        #expect(log.lastSequence == UInt64(records / appenders * appenders))
        return (Double(records) / seconds, archiver?.backlog.archivedSegments ?? 0)
    }

    @Test(.enabled(if: ArchiveBenchmark.enabled)) func appendsWithArchivingOffAndOn() async throws {
        let s3 = TestServers.s3()
        let pg = TestServers.postgres()
        let temp = TemporaryDirectory("bench")
        defer { temp.remove() }
        let records = 40_000
        try await PostgresSegmentArchive.withOptional(pg, identity: try ArchiveFixture.identity("bench-pg")) { postgres in
            var rows: [(String, [Double], Int)] = []
            let s3Archive = try s3.map {
                S3SegmentArchive(client: try $0.client(prefix: "bench"), identity: try ArchiveFixture.identity("bench-s3"))
            }
            let modes: [(String, (any SegmentArchiveDestination)?)] =
                [("off", nil)] + (s3Archive.map { [("on: S3 (SeaweedFS)", $0)] } ?? [])
                + (postgres.map { [("on: PostgreSQL", $0)] } ?? [])
            var results: [String: [Double]] = [:]
            var archived: [String: Int] = [:]
            for round in 0..<3 {
                for (mode, destination) in modes {
                    let run = try await appendRun(temp, "\(mode.prefix(6))-\(round)".replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: ":", with: ""), records: records, destination: destination)
                    results[mode, default: []].append(run.appendsPerSecond)
                    archived[mode, default: 0] += run.archived
                }
            }
            for (mode, _) in modes { rows.append((mode, results[mode]!, archived[mode]!)) }
            let baseline = Self.median(results["off"]!)
            print("\nappends/s, 16 appenders, 200-byte payloads, 256 KiB segments, \(records) records per run, 3 rounds")
            print("| archiving | median appends/s | runs | vs off | segments archived |")
            print("|---|---|---|---|---|")
            for (mode, values, count) in rows {
                let median = Self.median(values)
                print(
                    "| \(mode) | \(Int(median)) | \(values.map { String(Int($0)) }.joined(separator: ", ")) | "
                        + "\(String(format: "%.2f", median / baseline)) | \(count) |"
                )
            }
        }
    }

    @Test(.enabled(if: ArchiveBenchmark.enabled)) func archiveThroughputPerStore() async throws {
        let s3 = TestServers.s3()
        let pg = TestServers.postgres()
        let temp = TemporaryDirectory("bench-throughput")
        defer { temp.remove() }
        print("\narchive throughput: one pass over 32 MiB of sealed 1 MiB segments (200-byte payloads)")
        print("| store | MB | seconds | MB/s | records/s |")
        print("|---|---|---|---|---|")
        @Sendable func measure(_ name: String, _ destination: any SegmentArchiveDestination) async throws {
            let log = try await ArchiveFixture.filledLogConcurrently(temp.sub(name), bytes: 32 << 20, segmentBytes: 1 << 20)
            defer { log.close() }
            let sealed = try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero))
            let bytes = sealed.reduce(0) { $0 + $1.bytes }
            let records = sealed.reduce(0) { $0 + $1.recordCount }
            let archiver = try SegmentArchiver(log: log, destinations: [destination], logger: ArchiveFixture.logger)
            let started = ContinuousClock.now
            let pass = await archiver.archivePass()
            let seconds = Self.seconds(ContinuousClock.now - started)
            #expect(pass.failure == nil)
            #expect(pass.archived.count == sealed.count)
            let mb = Double(bytes) / 1_048_576
            print(
                "| \(name) | \(String(format: "%.1f", mb)) | \(String(format: "%.2f", seconds)) | "
                    + "\(String(format: "%.1f", mb / seconds)) | \(Int(Double(records) / seconds)) |"
            )
        }
        try await measure("directory (local disk)", DirectoryArchive(directory: temp.sub("dir-archive")))
        if let s3 {
            try await measure(
                "S3 (SeaweedFS)",
                S3SegmentArchive(client: try s3.client(prefix: "bench"), identity: try ArchiveFixture.identity("tp-s3"))
            )
        }
        try await PostgresSegmentArchive.withOptional(pg, identity: try ArchiveFixture.identity("tp-pg")) { postgres in
            if let postgres { try await measure("PostgreSQL", postgres) }
        }
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

extension PostgresSegmentArchive {
    /// `with` when there is a server, else `body(nil)`.
    static func withOptional(
        _ location: PostgresLocation?, identity: LogIdentity, _ body: @Sendable (PostgresSegmentArchive?) async throws -> Void
    ) async throws {
        guard let location else { return try await body(nil) }
        try await with(location, identity: identity, logger: ArchiveFixture.logger) { try await body($0) }
    }
}

extension ArchiveFixture {
    /// A log of about `bytes` of 200-byte-payload records, appended by 16 concurrent appenders (group commit).
    static func filledLogConcurrently(_ directory: String, bytes: Int, segmentBytes: Int) async throws -> EventLog {
        let log = try EventLog.open(directory: directory, configuration: LogConfiguration(segmentMaxBytes: segmentBytes))
        let perAppender = bytes / 240 / 16
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<16 {
                group.addTask {
                    for i in 0..<perAppender {
                        _ = try await log.append(
                            NewRecord(type: 1, streamKey: "hotel-\(a)-\(i % 50)", payload: Array(repeating: 1, count: 200))
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        return log
    }
}
