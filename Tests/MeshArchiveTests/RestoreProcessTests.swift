import Foundation
import MeshLog
import MeshTestKit
import Testing

@testable import MeshArchive

/// Real processes: `logtorture write` appends, `meshnode archive upload` archives, the data dir is deleted,
/// `meshnode archive restore` rebuilds it, and a second `logtorture write` continues after the restored sequence.
@Suite(.serialized) struct RestoreProcessTests {
    private struct Ack: Hashable {
        var sequence: UInt64
        var crc: UInt32
        var key: String
    }

    private func acks(_ process: NodeProcess) -> [Ack] {
        process.outputLines.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "ack", let sequence = UInt64(parts[1]), let crc = UInt32(parts[2]) else {
                return nil
            }
            return Ack(sequence: sequence, crc: crc, key: String(parts[3]))
        }
    }

    private func run(_ product: String, _ arguments: [String], in temp: TemporaryDirectory, _ name: String) async throws
        -> NodeProcess
    {
        let process = try NodeProcess(product: product, arguments: arguments, stderrPath: temp.sub("\(name).stderr"))
        let status = await process.waitForExit(timeout: 120)
        process.stop()
        #expect(status == 0, "\(product) \(arguments.first ?? "") exited with \(String(describing: status)): \(process.stderr)")
        return process
    }

    @Test(arguments: ["s3", "postgres"])
    func aNodeThatLostItsDiskRestoresItsLogAndContinues(store: String) async throws {
        var archiveArguments: [String]
        let temp = TemporaryDirectory("proc-\(store)")
        defer { temp.remove() }
        switch store {
        case "s3":
            guard let server = TestServers.s3() else { return }
            let credentials = temp.sub("s3.credentials")
            try "access_key_id=\(server.credentials.accessKeyID)\nsecret_access_key=\(server.credentials.secretAccessKey)\n"
                .write(toFile: credentials, atomically: true, encoding: .utf8)
            archiveArguments = [
                "--archive", "s3://\(server.bucket)/tests", "--s3-endpoint", server.endpoint, "--s3-credentials-file",
                credentials,
            ]
        default:
            guard let location = TestServers.postgres() else { return }
            archiveArguments = ["--archive", "postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)?sslmode=disable"]
        }
        let identity = try ArchiveFixture.identity("proc-\(store)")
        archiveArguments += ["--cluster", identity.cluster, "--service", identity.service, "--node", identity.node]
        let dir = temp.sub("data/\(identity.service)")

        let writer = try await run(
            "logtorture", ["write", "--dir", dir, "--count", "3000", "--payload-bytes", "150", "--appenders", "3", "--segment-bytes", "32768"],
            in: temp, "writer1"
        )
        let first = acks(writer)
        #expect(first.count == 3000)
        #expect(Set(first.map(\.sequence)) == Set(1...3000))

        let upload = try await run("meshnode", ["archive", "upload", "--dir", dir] + archiveArguments, in: temp, "upload")
        let summary = try #require(upload.outputLines.first { $0.hasPrefix("archive: ") })
        #expect(!summary.hasPrefix("archive: 0 segments"))
        let status = try await run("meshnode", ["archive", "status", "--dir", dir] + archiveArguments, in: temp, "status")
        #expect(status.outputLines.contains { $0.contains(" 0 sealed segments") })

        // The disk is lost.
        try FileManager.default.removeItem(atPath: temp.sub("data"))
        let restore = try await run("meshnode", ["archive", "restore", "--dir", dir] + archiveArguments, in: temp, "restore")
        let line = try #require(restore.outputLines.first { $0.hasPrefix("restored epoch") })
        let next = try #require(UInt64(line.split(separator: " ").last!))
        #expect(next > 1 && next <= 3001)

        let writer2 = try await run(
            "logtorture", ["write", "--dir", dir, "--count", "60", "--appenders", "1", "--segment-bytes", "32768"],
            in: temp, "writer2"
        )
        let second = acks(writer2)
        #expect(second.map(\.sequence) == Array(next..<(next + 60)))

        let log = try EventLog.open(directory: dir)
        defer { log.close() }
        let records = try log.read(from: 1, limit: 10_000)
        #expect(records.map(\.sequence) == Array(1..<(next + 60)))
        let expected = Dictionary(uniqueKeysWithValues: (first.filter { $0.sequence < next } + second).map { ($0.sequence, $0) })
        for record in records {
            let ack = try #require(expected[record.sequence])
            #expect(record.streamKey == ack.key)
            #expect(CRC32C.checksum(record.payload) == ack.crc)
        }
    }
}
