import MeshCore
import Testing

@testable import MeshLog

@Suite struct ArchiveTests {
    /// Ten 47-byte records in 200-byte segments: bases 1, 4, 7, 10.
    private func filledLog(
        _ fs: FaultInjectingFileSystem, clock: SettableWallClock = SettableWallClock(0)
    ) async throws
        -> EventLog
    {
        let log = try EventLog.open(
            directory: "/log", fileSystem: fs,
            configuration: LogFixture.configuration(segmentMaxBytes: 200, wallClock: clock)
        )
        for i in 0..<10 {
            clock.set(Int64(i) * 10_000_000_000)
            _ = try await log.append(LogFixture.record("s\(i % 2)\(i)"))
        }
        return log
    }

    @Test func archivingCopiesVerifiesAndDropsSealedSegments() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try await filledLog(fs)
        let names = log.segments.map(\.name)
        let originals = names.map { fs.contents(of: "/log/" + $0) }

        let archived = try log.archiveSealedSegments(to: "/archive", policy: RetentionPolicy(maxLocalBytes: 0))
        #expect(archived.map(\.name) == Array(names.dropLast()))
        #expect(archived.map(\.baseSequence) == [1, 4, 7])
        for (segment, original) in zip(archived, originals) {
            let copy = try #require(fs.contents(of: "/archive/" + segment.name))
            #expect(copy == original)
            #expect(segment.checksum == CRC32C.checksum(copy))
            #expect(!fs.fileExists("/log/" + segment.name))
        }
        #expect(fs.directorySyncs.suffix(2) == ["/archive", "/log"])
        #expect(log.firstLocalSequence == 10)
        #expect { try log.read(from: 1, limit: 5) } throws: { ($0 as? LogError)?.code == .sequenceArchived }
        #expect(try log.read(from: 10, limit: 5).map(\.sequence) == [10])
        #expect(try log.read(streamKey: "s19").map(\.sequence) == [10])
        #expect(try log.read(streamKey: "s00") == [])

        fs.powerLoss()
        let reopened = try EventLog.open(
            directory: "/log", fileSystem: fs, configuration: LogFixture.configuration(segmentMaxBytes: 200)
        )
        #expect(reopened.firstLocalSequence == 10)
        #expect(reopened.lastSequence == 10)
        #expect(try await reopened.append(LogFixture.record("s11")) == 11)
    }

    @Test func maxAgeArchivesOnlySegmentsWhoseNewestRecordIsOldEnough() async throws {
        let fs = FaultInjectingFileSystem()
        let clock = SettableWallClock(0)
        let log = try await filledLog(fs, clock: clock)
        // Newest records: segment 1 at 20 s, segment 4 at 50 s, segment 7 at 80 s.
        clock.set(100_000_000_000)
        let archived = try log.archiveSealedSegments(
            to: "/archive", policy: RetentionPolicy(maxAge: .seconds(Int64(50))))
        #expect(archived.map(\.baseSequence) == [1, 4])
        #expect(log.firstLocalSequence == 7)
        #expect(
            try log.archiveSealedSegments(to: "/archive", policy: RetentionPolicy(maxAge: .seconds(Int64(50)))) == [])
    }

    @Test func aCorruptArchiveCopyKeepsTheLocalSegment() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try await filledLog(fs)
        fs.corruptWrites(under: "/archive/")
        do {
            _ = try log.archiveSealedSegments(to: "/archive", policy: RetentionPolicy(maxLocalBytes: 0))
            Issue.record("a corrupt copy must fail verification")
        } catch {
            #expect(error.code == .archiveVerificationFailed)
            #expect(error.file == "/archive/00000000000000000001.seg")
        }
        #expect(fs.fileExists("/log/00000000000000000001.seg"))
        #expect(!fs.fileExists("/archive/00000000000000000001.seg"))
        #expect(log.firstLocalSequence == 1)
        #expect(try log.read(from: 1, limit: 20).map(\.sequence) == Array(1...10))
    }
}
