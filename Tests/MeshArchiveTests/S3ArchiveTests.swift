import Foundation
import MeshLog
import Testing

@testable import MeshArchive

/// Against a real S3 server (SeaweedFS started by tools/start-test-servers.sh).
@Suite(.serialized) struct S3ArchiveTests {
    @Test func archivesVerifiesAndDeletesLocallyThenRestoresAfterDiskLoss() async throws {
        guard let server = TestServers.s3() else { return }
        let temp = TemporaryDirectory("s3")
        defer { temp.remove() }
        let identity = try ArchiveFixture.identity("s3-basic")
        let archive = S3SegmentArchive(client: try server.client(prefix: "tests"), identity: identity)
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 300)
        let sealed = try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero))
        #expect(sealed.count >= 5)
        let epoch = log.epoch
        let lastSequence = log.lastSequence

        let archiver = try SegmentArchiver(log: log, destinations: [archive], logger: ArchiveFixture.logger)
        let pass = await archiver.archivePass()
        #expect(pass.failure == nil)
        #expect(pass.archived.map(\.name) == sealed.map(\.name))
        #expect(pass.alreadyStored == 0)
        #expect(archiver.backlog.pendingSegments == 0)
        #expect(log.segments.count == 1)
        for segment in sealed {
            #expect(!FileManager.default.fileExists(atPath: temp.sub("log/\(segment.name)")))
            let info = try #require(try await archive.client.headObject(key: archive.key(epoch: epoch, segment: segment.name)))
            #expect(info.size == segment.bytes)
        }
        #expect(try await archive.epochs() == [epoch])
        #expect(try await archive.segmentNames(epoch: epoch) == sealed.map(\.name))
        let expected = try log.read(from: log.firstLocalSequence, limit: 1_000)
        log.close()

        // The disk is lost, except what was never archived (the active segment) — also lost here.
        try FileManager.default.removeItem(atPath: temp.sub("log"))
        let report = try await ArchiveRestore.restore(from: archive, into: temp.sub("log"))
        #expect(report.epoch == epoch)
        #expect(report.segments == sealed.count)
        #expect(report.firstSequence == 1)
        let restoredEnd = sealed.last!.baseSequence + UInt64(sealed.last!.recordCount)
        #expect(report.nextSequence == restoredEnd)
        #expect(restoredEnd <= lastSequence + 1)
        _ = expected

        let reopened = try EventLog.open(directory: temp.sub("log"))
        defer { reopened.close() }
        #expect(reopened.epoch == epoch)
        #expect(reopened.lastSequence == restoredEnd - 1)
        let records = try reopened.read(from: 1, limit: 10_000)
        #expect(records.map(\.sequence) == Array(1..<restoredEnd))
        for record in records {
            let i = Int(record.sequence - 1)
            #expect(record.streamKey == "r\(i % 7)")
            #expect(record.payload == (0..<100).map { UInt8(truncatingIfNeeded: $0 &+ i) })
        }
        #expect(try await reopened.append(NewRecord(type: 9, streamKey: "after", payload: [1])) == restoredEnd)
    }

    /// A crash after the upload but before the local delete: the rerun finds the object, verifies it, deletes the
    /// local segment and uploads nothing again.
    @Test func crashBetweenUploadAndLocalDeleteIsFinishedByTheRerun() async throws {
        guard let server = TestServers.s3() else { return }
        let temp = TemporaryDirectory("s3-crash")
        defer { temp.remove() }
        let archive = S3SegmentArchive(
            client: try server.client(prefix: "tests"), identity: try ArchiveFixture.identity("s3-crash")
        )
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 120)
        let first = try #require(try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero)).first)
        let key = archive.key(epoch: log.epoch, segment: first.name)
        // Upload only (the process "dies" before removeArchivedSegment).
        #expect(try await archive.store(try log.readSealedSegment(first)) == .stored)
        let before = try #require(try await archive.client.headObject(key: key))
        log.close()

        let reopened = try EventLog.open(directory: temp.sub("log"), configuration: LogConfiguration(segmentMaxBytes: 4_096))
        defer { reopened.close() }
        #expect(reopened.segments.first?.name == first.name)
        let archiver = try SegmentArchiver(log: reopened, destinations: [archive], logger: ArchiveFixture.logger)
        let pass = await archiver.archivePass()
        #expect(pass.failure == nil)
        #expect(pass.archived.first?.name == first.name)
        #expect(pass.alreadyStored == 1)
        #expect(reopened.firstLocalSequence > first.baseSequence)
        let after = try #require(try await archive.client.headObject(key: key))
        #expect(after.etag == before.etag)
        let keys = try await archive.client.listKeys(prefix: archive.client.endpoint.key(archive.identity.path) + "/")
        #expect(Set(keys).count == keys.count)
        #expect(keys.filter { $0.hasSuffix(first.name) }.count == 1)
    }

    @Test func aDifferentObjectUnderTheSameNameIsRefusedAndTheLocalSegmentKept() async throws {
        guard let server = TestServers.s3() else { return }
        let temp = TemporaryDirectory("s3-conflict")
        defer { temp.remove() }
        let archive = S3SegmentArchive(
            client: try server.client(prefix: "tests"), identity: try ArchiveFixture.identity("s3-conflict")
        )
        let log = try await ArchiveFixture.filledLog(temp.sub("log"), count: 80)
        defer { log.close() }
        let first = try #require(log.segments.first)
        let key = archive.key(epoch: log.epoch, segment: first.name)
        try await archive.client.putObject(key: key, body: Array("not a segment".utf8), metadata: ["mesh-crc32c": "1"])
        let archiver = try SegmentArchiver(log: log, destinations: [archive], logger: ArchiveFixture.logger)
        let pass = await archiver.archivePass()
        #expect((pass.failure as? ArchiveError)?.code == .verificationFailed)
        #expect(pass.archived.isEmpty)
        #expect(log.segments.first?.name == first.name)
        #expect(archiver.backlog.lastError?.contains("verificationFailed") == true)
    }

    /// The server checks what is sent: a body whose CRC-32C header does not match is refused, and a wrong secret too.
    @Test func theServerVerifiesChecksumsAndSignatures() async throws {
        guard let server = TestServers.s3() else { return }
        let client = try server.client(prefix: "tests/checks-\(getpid())")
        let body = Array("hello".utf8)
        await #expect {
            _ = try await client.send(
                "PUT", key: client.endpoint.key("bad-crc"), headers: [("x-amz-checksum-crc32c", "AAAAAA==")],
                body: body, expect: [200]
            )
        } throws: { ($0 as? ArchiveError)?.code == .rejected }
        #expect(try await client.headObject(key: client.endpoint.key("bad-crc")) == nil)

        let wrong = S3Client(
            endpoint: client.endpoint,
            credentials: S3Credentials(accessKeyID: server.credentials.accessKeyID, secretAccessKey: "wrong")
        )
        await #expect {
            try await wrong.putObject(key: client.endpoint.key("wrong-secret"), body: body)
        } throws: { ($0 as? ArchiveError)?.code == .rejected }
    }

    @Test func largeSegmentsGoUpInParts() async throws {
        guard let server = TestServers.s3() else { return }
        let temp = TemporaryDirectory("s3-multipart")
        defer { temp.remove() }
        var archive = S3SegmentArchive(
            client: try server.client(prefix: "tests"), identity: try ArchiveFixture.identity("s3-multipart"),
            multipartThreshold: 5 << 20, partSize: 5 << 20
        )
        archive.readBack = true
        // 12 MiB in one sealed segment: three parts.
        let log = try await ArchiveFixture.filledLog(
            temp.sub("log"), count: 14, segmentBytes: 12 << 20, payloadBytes: 1 << 20
        )
        defer { log.close() }
        let first = try #require(try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero)).first)
        #expect(first.bytes > 10 << 20)
        let segment = try log.readSealedSegment(first)
        #expect(try await archive.store(segment) == .stored)
        let copy = try await archive.client.getObject(key: archive.key(epoch: log.epoch, segment: first.name))
        #expect(copy == segment.bytes)
        #expect(try await archive.store(segment) == .alreadyStored)
    }
}
