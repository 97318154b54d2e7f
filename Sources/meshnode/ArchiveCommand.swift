import ArgumentParser
import Foundation
import Logging
import MeshArchive
import MeshCore
import MeshLog

/// `meshnode archive upload|restore|status`: a log directory's sealed segments to S3 or PostgreSQL and back.
///
/// Works on a log that no node has open (the log's LOCK is taken). Credentials come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `PGPASSWORD`) or files, and are never printed.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Archive a log's sealed segments to S3 or PostgreSQL, restore a lost log, show the backlog.",
        subcommands: [Upload.self, Restore.self, Status.self]
    )

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store every sealed segment of --dir in the archive, verify it, then delete it locally."
        )
        @OptionGroup var options: ArchiveOptions

        func run() async throws {
            let logger = try options.logging.bootstrap(label: "meshnode.archive")
            let log = try EventLog.open(directory: options.dir)
            defer { log.close() }
            try await options.withDestination(logger: logger) { destination in
                let archiver = try SegmentArchiver(log: log, destinations: [destination], logger: logger)
                let started = ContinuousClock.now
                let pass = await archiver.archivePass()
                let seconds = Self.seconds(ContinuousClock.now - started)
                for segment in pass.archived {
                    print("archived \(segment.name) records=\(segment.recordCount) bytes=\(segment.bytes)")
                }
                let bytes = pass.archived.reduce(0) { $0 + $1.bytes }
                let rate = seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0
                print(
                    "archive: \(pass.archived.count) segments, \(bytes) bytes in \(Self.format(seconds)) s "
                        + "(\(Self.format(rate)) MB/s), \(pass.alreadyStored) already stored, to \(destination.description)"
                )
                print("backlog: \(archiver.backlog)")
                if let failure = pass.failure { throw ExitMessage("archiving stopped: \(failure)") }
            }
        }

        static func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }

        static func format(_ value: Double) -> String { String(format: "%.2f", value) }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild a lost log in --dir (which must hold no log) from the archive."
        )
        @OptionGroup var options: ArchiveOptions
        @Option(help: "The epoch to restore (16 hex digits); needed when the archive holds several.")
        var epoch: String?

        func run() async throws {
            let logger = try options.logging.bootstrap(label: "meshnode.archive")
            let chosen = try epoch.map { text in
                guard let value = LogIdentity.epoch(named: text) else {
                    throw ValidationError("--epoch takes 16 hex digits, got \(text)")
                }
                return value
            }
            let directory = options.dir
            try await options.withSource(logger: logger) { source in
                let report = try await ArchiveRestore.restore(from: source, epoch: chosen, into: directory)
                print(report.description)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the local backlog of --dir and what the archive holds for this log."
        )
        @OptionGroup var options: ArchiveOptions

        func run() async throws {
            let logger = try options.logging.bootstrap(label: "meshnode.archive")
            let log = try EventLog.open(directory: options.dir)
            defer { log.close() }
            let pending = try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero))
            print(
                "local: epoch \(LogIdentity.epochName(log.epoch)), sequences \(log.firstLocalSequence)...\(log.lastSequence), "
                    + "\(pending.count) sealed segments (\(pending.reduce(0) { $0 + $1.bytes }) bytes) waiting"
            )
            try await options.withSource(logger: logger) { source in
                for epoch in try await source.epochs() {
                    let names = try await source.segmentNames(epoch: epoch)
                    print(
                        "archive: epoch \(LogIdentity.epochName(epoch)): \(names.count) segments"
                            + (names.last.map { ", last \($0)" } ?? "")
                    )
                }
            }
        }
    }
}

/// Where the archive is, whose log it is, and how to authenticate.
struct ArchiveOptions: ParsableArguments {
    @Option(help: "The log directory (DATA/<service>).") var dir: String
    @Option(
        name: [.customLong("archive"), .customLong("to"), .customLong("from")],
        help: "s3://bucket/prefix or postgres://user@host:port/database[?sslmode=disable|prefer|require]."
    )
    var archive: String
    @Option(help: "Cluster name (first part of the archive path).") var cluster: String
    @Option(help: "Service whose log this is.") var service: String
    @Option(help: "Node that wrote the log.") var node: String
    @Option(help: "S3 endpoint URL (default: $MESH_S3_ENDPOINT, else https://s3.<region>.amazonaws.com).")
    var s3Endpoint: String?
    @Option(help: "S3 signing region (default: $AWS_REGION, else us-east-1).") var s3Region: String?
    @Option(help: "File with access_key_id=… and secret_access_key=… lines (default: $AWS_ACCESS_KEY_ID etc.).")
    var s3CredentialsFile: String?
    @Option(help: "File holding the PostgreSQL password (default: the URL's, else $PGPASSWORD).")
    var postgresPasswordFile: String?
    @OptionGroup var logging: LoggingOptions

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    func identity() throws -> LogIdentity { try LogIdentity(cluster: cluster, service: service, node: node) }

    func withDestination(
        logger: Logger, _ body: @Sendable (any SegmentArchiveDestination) async throws -> Void
    ) async throws {
        if archive.hasPrefix("s3://") {
            try await body(try s3Archive())
        } else {
            try await PostgresSegmentArchive.with(try postgresLocation(), identity: try identity(), logger: logger) {
                try await body($0)
            }
        }
    }

    func withSource(logger: Logger, _ body: @Sendable (any SegmentArchiveSource) async throws -> Void) async throws {
        if archive.hasPrefix("s3://") {
            try await body(try s3Archive())
        } else {
            try await PostgresSegmentArchive.with(try postgresLocation(), identity: try identity(), logger: logger) {
                try await body($0)
            }
        }
    }

    private func s3Archive() throws -> S3SegmentArchive {
        let region = s3Region ?? environment["AWS_REGION"] ?? "us-east-1"
        let endpointURL = s3Endpoint ?? environment["MESH_S3_ENDPOINT"] ?? "https://s3.\(region).amazonaws.com"
        let endpoint = try S3Endpoint(location: archive, endpoint: endpointURL, region: region)
        return S3SegmentArchive(client: S3Client(endpoint: endpoint, credentials: try s3Credentials()), identity: try identity())
    }

    private func s3Credentials() throws -> S3Credentials {
        var values: [String: String] = [:]
        if let path = s3CredentialsFile {
            for line in try readKeyFile(path).split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { values[parts[0].lowercased().replacingOccurrences(of: "aws_", with: "")] = parts[1] }
            }
        }
        guard let access = values["access_key_id"] ?? environment["AWS_ACCESS_KEY_ID"],
            let secret = values["secret_access_key"] ?? environment["AWS_SECRET_ACCESS_KEY"]
        else {
            throw ValidationError(
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or pass --s3-credentials-file"
            )
        }
        return S3Credentials(
            accessKeyID: access, secretAccessKey: secret,
            sessionToken: values["session_token"] ?? environment["AWS_SESSION_TOKEN"]
        )
    }

    private func postgresLocation() throws -> PostgresLocation {
        var password: String?
        if let path = postgresPasswordFile {
            password = try readKeyFile(path).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var location = try PostgresLocation(url: archive, password: password)
        if location.password == nil { location.password = environment["PGPASSWORD"] }
        return location
    }
}

/// An error printed as it is (ArgumentParser prints `description` and exits non-zero).
struct ExitMessage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
