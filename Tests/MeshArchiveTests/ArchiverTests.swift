import Foundation
import MeshResilience
import MeshCore
import MeshLog
import Testing

@testable import MeshArchive

/// The background archiver against a store that goes down and comes back (a real SeaweedFS behind a loopback
/// proxy the test takes down): appends go on, segments wait locally, the backlog shows them, and once the store
/// is back everything is archived exactly once.
@Suite(.serialized) struct ArchiverTests {
    @Test func storeDownThenUpLosesNothingAndNeverBlocksAppends() async throws {
        guard let server = TestServers.s3() else { return }
        let temp = TemporaryDirectory("down-up")
        defer { temp.remove() }
        let realPort = try #require(Int(server.endpoint.split(separator: ":").last!))
        let proxy = try await LoopbackProxy(targetPort: realPort)
        let endpoint = try S3Endpoint(
            location: "s3://\(server.bucket)/tests", endpoint: "http://127.0.0.1:\(proxy.port)", region: "us-east-1"
        )
        var client = S3Client(endpoint: endpoint, credentials: server.credentials)
        client.timeout = .seconds(2)
        let archive = S3SegmentArchive(client: client, identity: try ArchiveFixture.identity("down-up"))
        let log = try EventLog.open(directory: temp.sub("log"), configuration: LogConfiguration(segmentMaxBytes: 4_096))
        defer { log.close() }
        let configuration = SegmentArchiver.Configuration(
            pollInterval: .milliseconds(50), attemptsPerSegment: 2,
            backoff: Backoff(initial: .milliseconds(20), multiplier: 2, max: .milliseconds(200)),
            breaker: .init(window: .count(4), minimumCalls: 2, openWait: .milliseconds(100), maxOpenWait: .milliseconds(400), halfOpenPermits: 1)
        )
        let archiver = try SegmentArchiver(
            log: log, destinations: [archive], configuration: configuration, logger: ArchiveFixture.logger
        )
        let runner = Task { await archiver.run() }
        defer { runner.cancel() }

        // Store down: appends still complete; sealed segments pile up locally.
        var appended: [UInt64] = []
        for i in 0..<200 {
            appended.append(try await log.append(NewRecord(type: 1, streamKey: "k\(i % 5)", payload: Array(repeating: 7, count: 100))))
            archiver.segmentsMayHaveSealed()
        }
        #expect(appended == Array(1...200))
        // The HTTP client keeps trying to connect until the request's 2 s timeout: wait for the first failed pass.
        let downDeadline = ContinuousClock.now + .seconds(20)
        while archiver.backlog.lastError == nil, ContinuousClock.now < downDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let down = archiver.backlog
        #expect(down.pendingSegments >= 4)
        #expect(down.archivedSegments == 0)
        #expect(down.lastError?.contains("unavailable") == true)
        #expect(log.firstLocalSequence == 1)

        // Store up: the backlog drains by itself.
        try await proxy.up()
        let deadline = ContinuousClock.now + .seconds(30)
        while archiver.backlog.pendingSegments > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let up = archiver.backlog
        #expect(up.pendingSegments == 0)
        #expect(up.archivedSegments == down.pendingSegments)
        #expect(up.lastError == nil)
        runner.cancel()
        _ = await runner.value

        // Every archived segment is in the store exactly once and the local log starts where the archive ends.
        let names = try await archive.segmentNames(epoch: log.epoch)
        #expect(names.count == up.archivedSegments)
        var next: UInt64 = 1
        for name in names {
            let bytes = try await archive.fetch(epoch: log.epoch, segment: name)
            let segment = try SealedSegment(verifying: bytes, epoch: log.epoch, baseSequence: next, file: name)
            next = segment.endSequence
        }
        #expect(next == log.firstLocalSequence)
        try await proxy.shutdown()
    }
}
