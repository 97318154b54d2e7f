import Testing

@testable import MeshLog

/// The active segment keeps zeros past its last record so commits overwrite allocated space; recovery must tell
/// those zeros from a torn tail, and sealing or closing must trim them.
@Suite struct PreallocationTests {
    private let firstSegment = "/log/00000000000000000001.seg"
    /// 28 bytes of framing + 2-byte key + 16-byte payload.
    private let recordBytes = 46

    private func openLog(
        _ fs: FaultInjectingFileSystem, segmentMaxBytes: Int = 64 << 20, preallocationBytes: Int = 4096
    ) throws -> EventLog {
        try EventLog.open(
            directory: "/log", fileSystem: fs,
            configuration: LogFixture.configuration(
                segmentMaxBytes: segmentMaxBytes, preallocationBytes: preallocationBytes
            )
        )
    }

    @Test func preallocatedEndIsAPageAheadAndCappedAtTheSegmentLimit() {
        #expect(LogLayout.preallocatedEnd(after: 86, preallocationBytes: 4096, segmentMaxBytes: 1 << 20) == 8192)
        #expect(LogLayout.preallocatedEnd(after: 4096, preallocationBytes: 4096, segmentMaxBytes: 1 << 20) == 8192)
        #expect(LogLayout.preallocatedEnd(after: 86, preallocationBytes: 4096, segmentMaxBytes: 5000) == 5000)
        // A batch larger than the segment limit is written as it is, with no zeros after it.
        #expect(LogLayout.preallocatedEnd(after: 6000, preallocationBytes: 4096, segmentMaxBytes: 5000) == 6000)
        #expect(LogLayout.preallocatedEnd(after: 86, preallocationBytes: 0, segmentMaxBytes: 1 << 20) == 86)
    }

    @Test func zerosAfterTheLastRecordSurviveACrashAsPreallocatedSpaceNotATornTail() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        for i in 0..<3 { _ = try await log.append(LogFixture.record("k\(i)")) }
        let end = 40 + 3 * recordBytes
        // The first commit wrote its record and zeros up to a page past it, in one write and one sync.
        let file = try #require(fs.contents(of: firstSegment))
        #expect(file.count == 8192)
        #expect(file[end...].allSatisfy { $0 == 0 })
        #expect(fs.syncCount == 3 + 2)  // MANIFEST and segment header at creation, then one per append

        fs.powerLoss()
        let reopened = try openLog(fs)
        #expect(reopened.recoveryReport.truncatedTails.isEmpty)
        #expect(reopened.lastSequence == 3)
        #expect(reopened.segments.map(\.bytes) == [end])
        #expect(fs.contents(of: firstSegment)?.count == 8192)
        // The next commit overwrites the zeros in place: the file does not grow.
        #expect(try await reopened.append(LogFixture.record("k3")) == 4)
        #expect(fs.contents(of: firstSegment)?.count == 8192)
        #expect(try reopened.read(from: 1, limit: 10).map(\.streamKey) == ["k0", "k1", "k2", "k3"])
    }

    @Test func closeTrimsTheZerosSoACleanSegmentEndsAtItsLastRecord() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        for i in 0..<2 { _ = try await log.append(LogFixture.record("k\(i)")) }
        log.close()
        #expect(fs.contents(of: firstSegment)?.count == 40 + 2 * recordBytes)
        let reopened = try openLog(fs)
        #expect(reopened.recoveryReport.truncatedTails.isEmpty)
        #expect(reopened.lastSequence == 2)
    }

    @Test func sealedSegmentsAreTrimmedBeforeTheNextOneIsCreated() async throws {
        let fs = FaultInjectingFileSystem()
        // 47-byte records (3-byte keys); a 200-byte segment holds 3 after its 40-byte header.
        let log = try openLog(fs, segmentMaxBytes: 200)
        for i in 0..<7 { _ = try await log.append(LogFixture.record("k0\(i)")) }
        let segments = log.segments
        #expect(segments.map(\.baseSequence) == [1, 4, 7])
        for sealed in segments.dropLast() {
            #expect(fs.contents(of: "/log/" + sealed.name)?.count == sealed.bytes)
        }
        // The active one is preallocated up to the segment limit.
        #expect(fs.contents(of: "/log/" + segments[2].name)?.count == 200)
        fs.powerLoss()
        let reopened = try openLog(fs, segmentMaxBytes: 200)
        #expect(reopened.segments == segments)
        #expect(reopened.recoveryReport.truncatedTails.isEmpty)
    }

    @Test func aTornRecordInsidePreallocatedSpaceIsTruncated() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        for i in 0..<2 { _ = try await log.append(LogFixture.record("k\(i)")) }
        let end = 40 + 2 * recordBytes
        fs.powerLoss()
        // A commit whose sync never finished left the first 10 bytes of its record over the zeros.
        var partial: [UInt8] = []
        RecordCodec.encode(LogFixture.record("k2"), sequence: 3, timestamp: 1, into: &partial)
        fs.damage(firstSegment, at: end, with: Array(partial.prefix(10)))

        let reopened = try openLog(fs)
        let tail = try #require(reopened.recoveryReport.truncatedTails.first)
        #expect(tail.offset == end)
        #expect(tail.droppedBytes == 8192 - end)
        #expect(tail.reason.hasPrefix("checksum mismatch"))
        #expect(reopened.lastSequence == 2)
        #expect(fs.contents(of: firstSegment)?.count == end)
        #expect(try await reopened.append(LogFixture.record("k2")) == 3)
    }

    @Test func zerosFollowedByALaterWrittenByteAreATornTailNotPadding() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        _ = try await log.append(LogFixture.record("k0"))
        let end = 40 + recordBytes
        fs.powerLoss()
        // A later page of an unacknowledged batch reached the disk but its first page did not.
        fs.damage(firstSegment, at: 4096 + 7, with: [0x5A])

        let reopened = try openLog(fs)
        let tail = try #require(reopened.recoveryReport.truncatedTails.first)
        #expect(tail.offset == end)
        #expect(tail.reason == "implausible record length 0")
        #expect(reopened.lastSequence == 1)
        #expect(fs.contents(of: firstSegment)?.count == end)
    }

    @Test func zeroPreallocationWritesOnlyRecords() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs, preallocationBytes: 0)
        for i in 0..<2 { _ = try await log.append(LogFixture.record("k\(i)")) }
        #expect(fs.contents(of: firstSegment)?.count == 40 + 2 * recordBytes)
    }
}
