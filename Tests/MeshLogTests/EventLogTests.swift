import MeshCore
import Testing

@testable import MeshLog

#if canImport(Glibc)
import Glibc
#endif

@Suite struct EventLogTests {
    @Test func appendReadAndReopen() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try EventLog.open(directory: "/log", fileSystem: fs, configuration: LogFixture.configuration())
        #expect(log.recoveryReport.createdNewLog)
        #expect(log.epoch == LogFixture.epoch)
        #expect(log.lastSequence == 0)
        #expect(try log.read(from: 1, limit: 10) == [])

        let batch = [LogFixture.record("a"), LogFixture.record("b"), LogFixture.record("a", type: 2)]
        #expect(try await log.append(batch) == [1, 2, 3])
        #expect(try await log.append(LogFixture.record("c")) == 4)
        #expect(log.lastSequence == 4)

        let expected = (batch + [LogFixture.record("c")]).enumerated().map { index, new in
            LogRecord(
                sequence: UInt64(index + 1), timestamp: 1_000, type: new.type, streamKey: new.streamKey,
                payload: new.payload
            )
        }
        #expect(try log.read(from: 1, limit: 10) == expected)
        #expect(try log.read(from: 3, limit: 1) == [expected[2]])
        #expect(try log.read(from: 0, limit: 2) == Array(expected[0..<2]))
        #expect(try log.read(from: 5, limit: 10) == [])
        #expect(try log.read(streamKey: "a").map(\.sequence) == [1, 3])
        #expect(try log.read(streamKey: "nobody") == [])
        log.close()
        #expect(throws: LogError.self) { try log.read(from: 1, limit: 1) }
        do {
            _ = try await log.append(LogFixture.record("late"))
            Issue.record("append after close must fail")
        } catch {
            #expect(error.code == .closed)
        }

        let reopened = try EventLog.open(directory: "/log", fileSystem: fs, configuration: LogFixture.configuration())
        #expect(!reopened.recoveryReport.createdNewLog)
        #expect(reopened.recoveryReport.recordsScanned == 4)
        #expect(reopened.recoveryReport.truncatedTails.isEmpty)
        #expect(reopened.epoch == LogFixture.epoch)
        #expect(reopened.lastSequence == 4)
        #expect(try reopened.read(from: 1, limit: 10) == expected)
        #expect(try reopened.read(streamKey: "a").map(\.sequence) == [1, 3])
        #expect(try await reopened.append(LogFixture.record("d")) == 5)
    }

    @Test func aDirectoryHasOneOpenLogAtATime() throws {
        let fs = FaultInjectingFileSystem()
        let log = try EventLog.open(directory: "/log", fileSystem: fs, configuration: LogFixture.configuration())
        #expect { try EventLog.open(directory: "/log", fileSystem: fs) } throws: {
            ($0 as? LogError)?.code == .directoryLocked && ($0 as? LogError)?.file == "/log/LOCK"
        }
        log.close()
        log.close()
        let again = try EventLog.open(directory: "/log", fileSystem: fs, configuration: LogFixture.configuration())
        #expect(again.epoch == LogFixture.epoch)
    }

    @Test func readRejectsANonPositiveLimit() throws {
        let log = try EventLog.open(
            directory: "/log", fileSystem: FaultInjectingFileSystem(), configuration: LogFixture.configuration()
        )
        #expect { try log.read(from: 1, limit: 0) } throws: { ($0 as? LogError)?.code == .invalidArgument }
    }

    @Test func recordTooLargeIsRefusedWithoutHarm() async throws {
        let log = try EventLog.open(
            directory: "/log", fileSystem: FaultInjectingFileSystem(),
            configuration: LogFixture.configuration(maxRecordBytes: 100)
        )
        do {
            _ = try await log.append([LogFixture.record("ok"), LogFixture.record("big", bytes: 100)])
            Issue.record("an oversized record must be refused")
        } catch {
            #expect(error.code == .recordTooLarge)
        }
        #expect(log.lastSequence == 0)
        #expect(try await log.append(LogFixture.record("ok")) == 1)
    }

    @Test func segmentsRollAtTheSizeLimitAndSurvivePowerLoss() async throws {
        let fs = FaultInjectingFileSystem()
        // Each record: 28 + 3 key + 16 payload = 47 bytes; a 200-byte segment holds 3 after its 40-byte header.
        let config = LogFixture.configuration(segmentMaxBytes: 200)
        let log = try EventLog.open(directory: "/log", fileSystem: fs, configuration: config)
        for i in 0..<10 { _ = try await log.append(LogFixture.record("k\(i % 10)\(i / 10)")) }
        let segments = log.segments
        #expect(segments.map(\.baseSequence) == [1, 4, 7, 10])
        #expect(segments.map(\.recordCount) == [3, 3, 3, 1])
        #expect(segments.allSatisfy { $0.bytes <= 200 })
        // MANIFEST + first segment at open, one per roll.
        #expect(fs.directorySyncs.filter { $0 == "/log" }.count == 5)

        fs.powerLoss()
        let reopened = try EventLog.open(directory: "/log", fileSystem: fs, configuration: config)
        #expect(reopened.segments == segments)
        #expect(try reopened.read(from: 1, limit: 100).map(\.sequence) == Array(1...10))
        #expect(reopened.recoveryReport.segmentsScanned == 4)
    }

    @Test func groupCommitSharesOneSyncAmongConcurrentAppenders() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try EventLog.open(directory: "/log", fileSystem: fs, configuration: LogFixture.configuration())
        fs.pauseSyncs()
        let sequences = try await withThrowingTaskGroup(of: UInt64.self) { group in
            group.addTask { try await log.append(LogFixture.record("first")) }
            await LogFixture.waitUntil("the first commit is syncing") { fs.syncsWaiting == 1 }
            for i in 1..<64 { group.addTask { try await log.append(LogFixture.record("w\(i)")) } }
            await LogFixture.waitUntil("63 appends are queued") { log.pendingAppendCount == 63 }
            let before = fs.syncCount
            fs.resumeSyncs()
            var all: [UInt64] = []
            for try await sequence in group { all.append(sequence) }
            // One sync finishes the first commit, one more commits all 63 queued appends.
            #expect(fs.syncCount - before == 2)
            return all
        }
        #expect(sequences.sorted() == Array(1...64))
        #expect(try log.read(from: 1, limit: 100).count == 64)
    }

    @Test func aCommitBatchStaysWithinMaxBatchBytes() async throws {
        let fs = FaultInjectingFileSystem()
        // 47-byte records; at most 3 per batch.
        let log = try EventLog.open(
            directory: "/log", fileSystem: fs, configuration: LogFixture.configuration(maxBatchBytes: 150)
        )
        fs.pauseSyncs()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await log.append(LogFixture.record("f00")) }
            await LogFixture.waitUntil("the first commit is syncing") { fs.syncsWaiting == 1 }
            for i in 1..<11 {
                group.addTask { _ = try await log.append(LogFixture.record("k\(i < 10 ? "0" : "")\(i)")) }
            }
            await LogFixture.waitUntil("10 appends are queued") { log.pendingAppendCount == 10 }
            let before = fs.syncCount
            fs.resumeSyncs()
            try await group.waitForAll()
            // The first commit, then 10 queued appends in batches of 3, 3, 3, 1.
            #expect(fs.syncCount - before == 5)
        }
        #expect(log.lastSequence == 11)
    }

    @Test func posixFileSystemReportsErrnoWithTheFile() {
        let fs = PosixFileSystem()
        #expect { try fs.open("/nonexistent-meshlog-dir/x", mode: .existing) } throws: {
            let error = $0 as? LogError
            return error?.code == .ioError && error?.errno == ENOENT && error?.file == "/nonexistent-meshlog-dir/x"
        }
        #expect { try fs.list("/nonexistent-meshlog-dir") } throws: { ($0 as? LogError)?.errno == ENOENT }
    }

    @Test func posixFileSystemRoundTrip() async throws {
        var template = Array("/tmp/meshlog-test-XXXXXX".utf8CString)
        let directory = try #require(
            template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map {
                String(cString: $0)
            })
        defer {
            let fs = PosixFileSystem()
            for name in (try? fs.list(directory)) ?? [] { try? fs.remove(directory + "/" + name) }
            rmdir(directory)
        }
        let log = try EventLog.open(directory: directory, configuration: LogFixture.configuration(segmentMaxBytes: 500))
        let sequences = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for appender in 0..<8 {
                group.addTask {
                    var mine: [UInt64] = []
                    for i in 0..<10 { mine.append(try await log.append(LogFixture.record("p\(appender)-\(i)"))) }
                    return mine
                }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
        #expect(sequences.sorted() == Array(1...80))
        #expect { try EventLog.open(directory: directory) } throws: { ($0 as? LogError)?.code == .directoryLocked }
        log.close()
        let reopened = try EventLog.open(directory: directory, configuration: LogFixture.configuration())
        let records = try reopened.read(from: 1, limit: 1000)
        #expect(records.map(\.sequence) == Array(1...80))
        #expect(records.allSatisfy { $0.payload == LogFixture.payload(for: $0.streamKey, bytes: 16) })
        #expect(try reopened.read(streamKey: "p3-7").count == 1)
        #expect(reopened.segments.count > 1)
        let names = try PosixFileSystem().list(directory).sorted()
        #expect(names.first == "00000000000000000001.seg")
        #expect(names.last == "MANIFEST")
    }
}
