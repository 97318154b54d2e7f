import MeshCore
import Testing

@testable import MeshLog

/// Restoring a log directory from sealed segments: same epoch, segments byte-identical, an empty active segment
/// after them, MANIFEST last; gaps and foreign epochs refused; an interrupted restore refused by `open` and rerun.
@Suite struct LogRestoreTests {
    /// A source log of 10 records in 200-byte segments (sealed bases 1, 4, 7), and its sealed segments.
    private func sealedSegments() async throws -> (FaultInjectingFileSystem, EventLog, [SealedSegment]) {
        let fs = FaultInjectingFileSystem()
        let log = try EventLog.open(
            directory: "/src", fileSystem: fs, configuration: LogFixture.configuration(segmentMaxBytes: 200)
        )
        for i in 0..<10 { _ = try await log.append(LogFixture.record("k\(i % 3)")) }
        let segments = try log.sealedSegments(chosenBy: RetentionPolicy(maxAge: .zero)).map {
            try log.readSealedSegment($0)
        }
        return (fs, log, segments)
    }

    @Test func restoredLogHasTheSameRecordsAndContinuesAfterThem() async throws {
        let (fs, source, segments) = try await sealedSegments()
        #expect(segments.map(\.baseSequence) == [1, 4, 7])
        let restore = try LogRestore(directory: "/restored", epoch: source.epoch, fileSystem: fs)
        for segment in segments { try restore.add(segment) }
        #expect(try restore.finish() == 10)
        for segment in segments { #expect(fs.contents(of: "/restored/" + segment.name) == segment.bytes) }

        let log = try EventLog.open(
            directory: "/restored", fileSystem: fs, configuration: LogFixture.configuration(segmentMaxBytes: 200)
        )
        #expect(log.epoch == source.epoch)
        #expect(try log.read(from: 1, limit: 100) == (try source.read(from: 1, limit: 9)))
        #expect(try await log.append(LogFixture.record("next")) == 10)
        #expect(try log.read(streamKey: "k0").map(\.sequence) == [1, 4, 7])
    }

    @Test func gapsAndForeignEpochsAreRefused() async throws {
        let (fs, source, segments) = try await sealedSegments()
        let restore = try LogRestore(directory: "/restored", epoch: source.epoch, fileSystem: fs)
        try restore.add(segments[0])
        #expect { try restore.add(segments[2]) } throws: { ($0 as? LogError)?.code == .corruptRecord }
        var foreign = segments[1]
        foreign.epoch = 42
        #expect { try restore.add(foreign) } throws: { ($0 as? LogError)?.code == .invalidArgument }
        #expect(throws: LogError.self) {
            try SealedSegment(verifying: segments[1].bytes, epoch: 42, baseSequence: 4, file: "x")
        }
    }

    @Test func anInterruptedRestoreIsRefusedByOpenAndCanBeRerun() async throws {
        let (fs, source, segments) = try await sealedSegments()
        do {
            let restore = try LogRestore(directory: "/restored", epoch: source.epoch, fileSystem: fs)
            try restore.add(segments[0])
            try restore.add(segments[1])
            // The process dies here: no MANIFEST.
        }
        fs.powerLoss()
        #expect { try EventLog.open(directory: "/restored", fileSystem: fs) } throws: {
            ($0 as? LogError)?.code == .corruptManifest
        }
        let rerun = try LogRestore(directory: "/restored", epoch: source.epoch, fileSystem: fs)
        for segment in segments { try rerun.add(segment) }
        #expect(try rerun.finish() == 10)
        let log = try EventLog.open(directory: "/restored", fileSystem: fs)
        #expect(log.lastSequence == 9)
        #expect { try LogRestore(directory: "/restored", epoch: source.epoch, fileSystem: fs) } throws: {
            ($0 as? LogError)?.code == .directoryLocked || ($0 as? LogError)?.code == .invalidArgument
        }
    }

    @Test func segmentsRebuiltFromRecordsAreByteIdentical() async throws {
        let (_, source, segments) = try await sealedSegments()
        for segment in segments {
            let records = try source.read(from: segment.baseSequence, limit: segment.recordCount)
            let rebuilt = try SealedSegment(epoch: source.epoch, records: records)
            #expect(rebuilt.bytes == segment.bytes)
            #expect(rebuilt.records().map(\.record) == records)
        }
    }
}
