import Logging
import MeshLog
import PostgresNIO

/// Archives the events of sealed segments into PostgreSQL, one row per event, and can rebuild the segments from
/// them byte for byte (a restore source).
///
/// Tables (created if missing, see `schema`): `mesh_events` keyed by `(service, node, epoch, sequence)` and
/// `mesh_archived_segments` keyed by `(service, node, epoch, base_sequence)` with each segment's record count,
/// size and CRC-32C. The log's u64 epoch is stored as the bigint with the same bits.
///
/// Storing one segment is one transaction: the segment row and its events in multi-row inserts of
/// `batchRows` rows, all `ON CONFLICT DO NOTHING`, so a rerun inserts nothing twice. After the commit the rows are
/// verified: their count and the sum of their CRCs must match the segment's.
public struct PostgresSegmentArchive: SegmentArchiveDestination, SegmentArchiveSource {
    public let client: PostgresClient
    public let identity: LogIdentity
    public let location: String
    public var batchRows: Int
    let logger: Logger

    public init(client: PostgresClient, location: PostgresLocation, identity: LogIdentity, batchRows: Int = 1000, logger: Logger) {
        self.client = client
        self.location = location.description
        self.identity = identity
        self.batchRows = max(1, min(batchRows, 10_000))
        self.logger = logger
    }

    /// Runs `body` with an archive whose client runs for the duration (the client needs a running `run()`).
    public static func with<R: Sendable>(
        _ location: PostgresLocation,
        identity: LogIdentity,
        logger: Logger,
        _ body: @Sendable (PostgresSegmentArchive) async throws -> R
    ) async throws -> R {
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let archive = PostgresSegmentArchive(client: client, location: location, identity: identity, logger: logger)
            try await archive.createSchema()
            return try await body(archive)
        }
    }

    public var description: String { "\(location) for \(identity)" }

    public static let schema: [PostgresQuery] = [
        """
        CREATE TABLE IF NOT EXISTS mesh_events (
            cluster text NOT NULL,
            service text NOT NULL,
            node text NOT NULL,
            epoch bigint NOT NULL,
            sequence bigint NOT NULL,
            stream_key text NOT NULL,
            type integer NOT NULL,
            recorded_at timestamptz NOT NULL,
            timestamp_ns bigint NOT NULL,
            payload bytea NOT NULL,
            crc32c bigint NOT NULL,
            PRIMARY KEY (service, node, epoch, sequence)
        )
        """,
        "CREATE INDEX IF NOT EXISTS mesh_events_stream_key ON mesh_events (stream_key, recorded_at)",
        """
        CREATE TABLE IF NOT EXISTS mesh_archived_segments (
            cluster text NOT NULL,
            service text NOT NULL,
            node text NOT NULL,
            epoch bigint NOT NULL,
            base_sequence bigint NOT NULL,
            record_count integer NOT NULL,
            bytes bigint NOT NULL,
            crc32c bigint NOT NULL,
            archived_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (service, node, epoch, base_sequence)
        )
        """,
    ]

    public func createSchema() async throws {
        do {
            // Concurrent CREATE ... IF NOT EXISTS can still race on the catalog; serialise on an advisory lock.
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(727368001)", logger: logger)
                for statement in Self.schema { try await connection.query(statement, logger: logger) }
            }
        } catch {
            throw Self.failure("creating the archive tables", error)
        }
    }

    public func store(_ segment: SealedSegment) async throws -> ArchiveStoreOutcome {
        let epoch = Int64(bitPattern: segment.epoch)
        if let existing = try await storedSegment(epoch: epoch, base: segment.baseSequence) {
            guard existing.crc == segment.checksum, existing.records == segment.recordCount else {
                throw ArchiveError(
                    .verificationFailed,
                    "a different \(segment.name) of epoch \(LogIdentity.epochName(segment.epoch)) is already archived in "
                        + "\(location) (CRC-32C \(existing.crc), \(existing.records) records); local segment kept"
                )
            }
            try await verifyRows(segment, epoch: epoch)
            return .alreadyStored
        }
        let records = segment.records()
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO mesh_archived_segments
                        (cluster, service, node, epoch, base_sequence, record_count, bytes, crc32c)
                    VALUES (\(identity.cluster), \(identity.service), \(identity.node), \(epoch),
                        \(Int64(segment.baseSequence)), \(Int32(segment.recordCount)), \(Int64(segment.bytes.count)),
                        \(Int64(segment.checksum)))
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
                var start = 0
                while start < records.count {
                    let end = min(records.count, start + batchRows)
                    try await connection.query(insertQuery(records[start..<end], epoch: epoch), logger: logger)
                    start = end
                }
            }
        } catch {
            throw Self.failure("inserting \(segment.name)", error)
        }
        try await verifyRows(segment, epoch: epoch)
        return .stored
    }

    /// One multi-row INSERT: $1…$4 are cluster, service, node, epoch; then six binds per row.
    private func insertQuery(_ rows: ArraySlice<(record: LogRecord, crc: UInt32)>, epoch: Int64) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 4 + rows.count * 6)
        binds.append(identity.cluster)
        binds.append(identity.service)
        binds.append(identity.node)
        binds.append(epoch)
        var sql =
            "INSERT INTO mesh_events (cluster, service, node, epoch, sequence, stream_key, type, recorded_at, "
            + "timestamp_ns, payload, crc32c) VALUES "
        var n = 5
        for (i, row) in rows.enumerated() {
            if i > 0 { sql += "," }
            sql +=
                "($1,$2,$3,$4,$\(n),$\(n + 1),$\(n + 2),to_timestamp($\(n + 3)::bigint / 1000000000.0),"
                + "$\(n + 3),$\(n + 4),$\(n + 5))"
            n += 6
            binds.append(Int64(row.record.sequence))
            binds.append(row.record.streamKey)
            binds.append(Int32(row.record.type))
            binds.append(row.record.timestamp)
            binds.append(ByteBuffer(bytes: row.record.payload))
            binds.append(Int64(row.crc))
        }
        sql += " ON CONFLICT DO NOTHING"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    private func storedSegment(epoch: Int64, base: UInt64) async throws(ArchiveError) -> (crc: UInt32, records: Int)? {
        do {
            let rows = try await client.query(
                """
                SELECT crc32c, record_count FROM mesh_archived_segments
                WHERE service = \(identity.service) AND node = \(identity.node) AND epoch = \(epoch)
                    AND base_sequence = \(Int64(base))
                """,
                logger: logger
            )
            for try await (crc, count) in rows.decode((Int64, Int32).self) {
                return (UInt32(truncatingIfNeeded: crc), Int(count))
            }
            return nil
        } catch {
            throw Self.failure("looking up a segment", error)
        }
    }

    /// The rows of the segment's sequence range: their count and the sum of their CRCs must match.
    private func verifyRows(_ segment: SealedSegment, epoch: Int64) async throws {
        let expectedSum = segment.records().reduce(Int64(0)) { $0 + Int64($1.crc) }
        let (count, sum): (Int64, Int64)
        do {
            let rows = try await client.query(
                """
                SELECT count(*), coalesce(sum(crc32c), 0)::bigint FROM mesh_events
                WHERE service = \(identity.service) AND node = \(identity.node) AND epoch = \(epoch)
                    AND sequence >= \(Int64(segment.baseSequence)) AND sequence < \(Int64(segment.endSequence))
                """,
                logger: logger
            )
            var result: (Int64, Int64) = (0, 0)
            for try await row in rows.decode((Int64, Int64).self) { result = row }
            (count, sum) = result
        } catch {
            throw Self.failure("verifying \(segment.name)", error)
        }
        guard count == segment.recordCount, sum == expectedSum else {
            throw ArchiveError(
                .verificationFailed,
                "\(segment.name) has \(count) rows in \(location) (CRC sum \(sum)), the local segment "
                    + "\(segment.recordCount) records (CRC sum \(expectedSum)); local segment kept"
            )
        }
    }

    // MARK: SegmentArchiveSource

    public func epochs() async throws -> [UInt64] {
        do {
            let rows = try await client.query(
                """
                SELECT DISTINCT epoch FROM mesh_archived_segments
                WHERE service = \(identity.service) AND node = \(identity.node)
                """,
                logger: logger
            )
            var epochs: [UInt64] = []
            for try await epoch in rows.decode(Int64.self) { epochs.append(UInt64(bitPattern: epoch)) }
            return epochs.sorted()
        } catch {
            throw Self.failure("listing epochs", error)
        }
    }

    public func segmentNames(epoch: UInt64) async throws -> [String] {
        do {
            let rows = try await client.query(
                """
                SELECT base_sequence FROM mesh_archived_segments
                WHERE service = \(identity.service) AND node = \(identity.node)
                    AND epoch = \(Int64(bitPattern: epoch)) ORDER BY base_sequence
                """,
                logger: logger
            )
            var names: [String] = []
            for try await base in rows.decode(Int64.self) { names.append(SealedSegment.name(baseSequence: UInt64(base))) }
            return names
        } catch {
            throw Self.failure("listing segments", error)
        }
    }

    /// Re-encodes the segment from its rows; it must come out with the CRC-32C recorded when it was archived.
    public func fetch(epoch: UInt64, segment name: String) async throws -> [UInt8] {
        guard let base = SealedSegment.baseSequence(ofName: name) else {
            throw ArchiveError(.notFound, "\(name) is not a segment name")
        }
        let signed = Int64(bitPattern: epoch)
        guard let stored = try await storedSegment(epoch: signed, base: base) else {
            throw ArchiveError(.notFound, "no \(name) of epoch \(LogIdentity.epochName(epoch)) in \(location)")
        }
        var records: [LogRecord] = []
        do {
            let rows = try await client.query(
                """
                SELECT sequence, timestamp_ns, type, stream_key, payload FROM mesh_events
                WHERE service = \(identity.service) AND node = \(identity.node) AND epoch = \(signed)
                    AND sequence >= \(Int64(base)) AND sequence < \(Int64(base) + Int64(stored.records))
                ORDER BY sequence
                """,
                logger: logger
            )
            for try await (sequence, timestamp, type, key, payload) in rows.decode(
                (Int64, Int64, Int32, String, ByteBuffer).self
            ) {
                records.append(
                    LogRecord(
                        sequence: UInt64(sequence), timestamp: timestamp, type: UInt16(truncatingIfNeeded: type),
                        streamKey: key, payload: Array(buffer: payload)
                    )
                )
            }
        } catch {
            throw Self.failure("reading \(name)", error)
        }
        let segment = try SealedSegment(epoch: epoch, records: records)
        guard segment.baseSequence == base, segment.checksum == stored.crc else {
            throw ArchiveError(
                .corruptArchive,
                "\(name) rebuilt from \(records.count) rows has CRC-32C \(segment.checksum), archived as \(stored.crc)"
            )
        }
        return segment.bytes
    }

    static func failure(_ what: String, _ error: any Error) -> ArchiveError {
        if let error = error as? ArchiveError { return error }
        if let transaction = error as? PostgresTransactionError,
            let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            return failure(what, inner)
        }
        if let psql = error as? PSQLError, let sqlState = psql.serverInfo?[.sqlState] {
            // Class 08 (connection), 53 (resources), 57 (operator intervention, e.g. shutdown): the server's state.
            let retryable = ["08", "53", "57", "40"].contains(String(sqlState.prefix(2)))
            let message = psql.serverInfo?[.message] ?? "\(psql.code)"
            return ArchiveError(retryable ? .unavailable : .rejected, "\(what): SQLSTATE \(sqlState) \(message)", cause: psql)
        }
        return ArchiveError(.unavailable, "\(what): \(error)")
    }
}
