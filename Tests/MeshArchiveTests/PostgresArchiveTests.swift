import Foundation
import MeshLog
import PostgresNIO
import Testing

@testable import MeshArchive

/// Against a real PostgreSQL server (a private cluster started by tools/start-test-servers.sh).
@Suite(.serialized) struct PostgresArchiveTests {
    @Test func copiesEveryEventOnceAndRerunsInsertNothing() async throws {
        guard let location = TestServers.postgres() else { return }
        let temp = TemporaryDirectory("pg")
        defer { temp.remove() }
        let identity = try ArchiveFixture.identity("pg-basic")
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 250)
        defer { log.close() }
        let sealed = try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero))
        let segments = try sealed.map { try log.readSealedSegment($0) }
        let archivedRecords = segments.reduce(0) { $0 + $1.recordCount }

        try await PostgresSegmentArchive.with(location, identity: identity, logger: ArchiveFixture.logger) { archive in
            var small = archive
            small.batchRows = 7  // several batches per segment
            for segment in segments { #expect(try await small.store(segment) == .stored) }
            // Duplicate archive attempt: verified, nothing inserted twice.
            for segment in segments { #expect(try await small.store(segment) == .alreadyStored) }

            let rows = try await archive.client.query(
                """
                SELECT count(*), count(DISTINCT sequence), min(sequence), max(sequence) FROM mesh_events
                WHERE service = \(identity.service) AND node = \(identity.node)
                """
            )
            for try await (count, distinct, low, high) in rows.decode((Int64, Int64, Int64, Int64).self) {
                #expect(count == Int64(archivedRecords))
                #expect(distinct == count)
                #expect(low == 1)
                #expect(high == Int64(archivedRecords))
            }
            // One row per event with every column as the log has it.
            let sample = try await archive.client.query(
                """
                SELECT sequence, stream_key, type, payload, crc32c, epoch, timestamp_ns,
                    (extract(epoch FROM recorded_at) * 1000)::bigint
                FROM mesh_events WHERE service = \(identity.service) AND node = \(identity.node) AND sequence = 10
                """
            )
            let record = try log.read(from: 10, limit: 1)[0]
            for try await (sequence, key, type, payload, crc, epoch, ns, ms) in sample.decode(
                (Int64, String, Int32, ByteBuffer, Int64, Int64, Int64, Int64).self
            ) {
                #expect(sequence == 10)
                #expect(key == record.streamKey)
                #expect(type == Int32(record.type))
                #expect(Array(buffer: payload) == record.payload)
                #expect(UInt64(bitPattern: epoch) == log.epoch)
                #expect(ns == record.timestamp)
                #expect(abs(ms - record.timestamp / 1_000_000) <= 1)  // timestamptz keeps microseconds, rounded
                let expectedCRC = segments[0].records().first { $0.record.sequence == 10 }!.crc
                #expect(crc == Int64(expectedCRC))
            }
        }
    }

    /// The rows rebuild the very segment files (same CRC-32C), so a node can be restored from PostgreSQL too.
    @Test func restoresByteIdenticalSegmentsFromRows() async throws {
        guard let location = TestServers.postgres() else { return }
        let temp = TemporaryDirectory("pg-restore")
        defer { temp.remove() }
        let identity = try ArchiveFixture.identity("pg-restore")
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 150)
        let epoch = log.epoch
        try await PostgresSegmentArchive.with(location, identity: identity, logger: ArchiveFixture.logger) { archive in
            let archiver = try SegmentArchiver(log: log, destinations: [archive], logger: ArchiveFixture.logger)
            let pass = await archiver.archivePass()
            #expect(pass.failure == nil)
            #expect(!pass.archived.isEmpty)
            let archived = pass.archived
            log.close()
            try FileManager.default.removeItem(atPath: temp.sub("log"))
            let report = try await ArchiveRestore.restore(from: archive, epoch: epoch, into: temp.sub("log"))
            #expect(report.segments == archived.count)
            for segment in archived {
                let bytes = try #require(FileManager.default.contents(atPath: temp.sub("log/\(segment.name)")))
                #expect(CRC32C.checksum(Array(bytes)) == segment.checksum)
            }
            let reopened = try EventLog.open(directory: temp.sub("log"))
            defer { reopened.close() }
            #expect(reopened.lastSequence == report.nextSequence - 1)
            #expect(try await reopened.append(NewRecord(type: 1, streamKey: "x", payload: [])) == report.nextSequence)
        }
    }

    /// The README's queries run as written.
    @Test func documentedQueriesRun() async throws {
        guard let location = TestServers.postgres() else { return }
        let temp = TemporaryDirectory("pg-queries")
        defer { temp.remove() }
        let identity = try ArchiveFixture.identity("pg-queries")
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 100)
        defer { log.close() }
        try await PostgresSegmentArchive.with(location, identity: identity, logger: ArchiveFixture.logger) { archive in
            _ = await (try SegmentArchiver(log: log, destinations: [archive], logger: ArchiveFixture.logger)).archivePass()
            let history = try await archive.client.query(
                """
                SELECT service, node, sequence, type, recorded_at FROM mesh_events
                WHERE stream_key = \("r3") AND node = \(identity.node) ORDER BY recorded_at, service, sequence
                """
            )
            var sequences: [Int64] = []
            for try await row in history.decode((String, String, Int64, Int32, Date).self) { sequences.append(row.2) }
            #expect(!sequences.isEmpty)
            #expect(sequences.allSatisfy { ($0 - 1) % 7 == 3 })
            let perDay = try await archive.client.query(
                """
                SELECT stream_key AS hotel, date_trunc('day', recorded_at) AS day, count(*) AS bookings
                FROM mesh_events WHERE node = \(identity.node) AND type = 1 GROUP BY 1, 2 ORDER BY 1, 2
                """
            )
            var total: Int64 = 0
            for try await row in perDay.decode((String, Date, Int64).self) { total += row.2 }
            #expect(total > 0)
        }
    }
}
