import Foundation
import Logging
import MeshArchive
import MeshLog
import Testing

/// The real servers the archive tests use, from the environment `tools/start-test-servers.sh` sets up.
/// Absent: the test prints why and returns (locally); under `CI=true` it fails instead.
enum TestServers {
    static let environment = ProcessInfo.processInfo.environment

    static func unavailable(_ variable: String, _ what: String) {
        let message = "\(variable) is not set: skipping the \(what) test (start one with tools/start-test-servers.sh)"
        if environment["CI"] == "true" {
            Issue.record("\(message); under CI=true the server must be there")
        } else {
            print("SKIP: \(message)")
        }
    }

    struct S3: Sendable {
        var endpoint: String
        var bucket: String
        var credentials: S3Credentials

        func client(prefix: String) throws -> S3Client {
            let endpoint = try S3Endpoint(location: "s3://\(bucket)/\(prefix)", endpoint: endpoint, region: "us-east-1")
            return S3Client(endpoint: endpoint, credentials: credentials)
        }
    }

    /// `MESH_TEST_S3=http://127.0.0.1:PORT/bucket` with `MESH_TEST_S3_ACCESS_KEY` / `MESH_TEST_S3_SECRET_KEY`.
    static func s3() -> S3? {
        guard let url = environment["MESH_TEST_S3"], let access = environment["MESH_TEST_S3_ACCESS_KEY"],
            let secret = environment["MESH_TEST_S3_SECRET_KEY"]
        else {
            unavailable("MESH_TEST_S3", "S3 (SeaweedFS)")
            return nil
        }
        let parts = url.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3 else {
            Issue.record("MESH_TEST_S3 must look like http://127.0.0.1:PORT/bucket, got \(url)")
            return nil
        }
        return S3(
            endpoint: "\(parts[0])//\(parts[1])", bucket: String(parts[2]),
            credentials: S3Credentials(accessKeyID: access, secretAccessKey: secret)
        )
    }

    /// `MESH_TEST_POSTGRES=postgres://user@127.0.0.1:PORT/db`.
    static func postgres() -> PostgresLocation? {
        guard let url = environment["MESH_TEST_POSTGRES"] else {
            unavailable("MESH_TEST_POSTGRES", "PostgreSQL")
            return nil
        }
        do {
            var location = try PostgresLocation(url: url)
            location.tlsMode = "disable"
            return location
        } catch {
            Issue.record("MESH_TEST_POSTGRES: \(error)")
            return nil
        }
    }
}

/// A fresh temporary directory per test, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ name: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mesh-archive-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum ArchiveFixture {
    static let logger = Logger(label: "mesh.archive.test")

    /// A unique identity per test run, so tests sharing a bucket or database never see each other's objects.
    static func identity(_ test: String) throws -> LogIdentity {
        try LogIdentity(cluster: "test", service: test, node: "node-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// Opens a log with small segments and appends `count` records (keys `r<i % keys>`), returning it.
    static func filledLog(
        _ directory: String, count: Int, segmentBytes: Int = 4_096, payloadBytes: Int = 100, keys: Int = 7
    ) async throws -> EventLog {
        let log = try EventLog.open(directory: directory, configuration: LogConfiguration(segmentMaxBytes: segmentBytes))
        for i in 0..<count {
            let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            _ = try await log.append(NewRecord(type: UInt16(i % 3), streamKey: "r\(i % keys)", payload: payload))
        }
        return log
    }
}
