import MeshCore
import Testing

@testable import MeshLog

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RecoveryTests {
    private let firstSegment = "/log/00000000000000000001.seg"
    /// 28 bytes of framing + 2-byte key + 16-byte payload.
    private let recordBytes = 46

    private func openLog(_ fs: FaultInjectingFileSystem, segmentMaxBytes: Int = 64 << 20) throws -> EventLog {
        try EventLog.open(
            directory: "/log", fileSystem: fs, configuration: LogFixture.configuration(segmentMaxBytes: segmentMaxBytes)
        )
    }

    private func expectError(_ code: LogError.Code, file: String?, offset: Int?, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code)")
        } catch let error as LogError {
            #expect(error.code == code)
            #expect(error.file == file)
            #expect(error.offset == offset)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func tornTailIsTruncatedAndReported() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        for i in 0..<5 { _ = try await log.append(LogFixture.record("k\(i)")) }
        log.close()
        let end = 40 + 5 * recordBytes
        var partial: [UInt8] = []
        RecordCodec.encode(LogFixture.record("k5"), sequence: 6, timestamp: 1, into: &partial)
        fs.damage(firstSegment, at: end, with: Array(partial.prefix(10)))

        let reopened = try openLog(fs)
        #expect(
            reopened.recoveryReport.truncatedTails == [
                .init(
                    file: firstSegment, offset: end, droppedBytes: 10,
                    reason: "record of 46 bytes but only 10 bytes remain"
                )
            ]
        )
        #expect(reopened.lastSequence == 5)
        #expect(
            reopened.recoveryReport.description.hasSuffix(
                "; truncated a torn tail of 10 bytes at /log/00000000000000000001.seg offset 270"
                    + " (record of 46 bytes but only 10 bytes remain)"
            )
        )
        #expect(fs.contents(of: firstSegment)?.count == end)
        #expect(try await reopened.append(LogFixture.record("k5")) == 6)
        reopened.close()
        let again = try openLog(fs)
        #expect(again.recoveryReport.truncatedTails.isEmpty)
        #expect(try again.read(from: 1, limit: 10).map(\.streamKey) == (0..<6).map { "k\($0)" })
    }

    @Test func corruptRecordInASealedSegmentIsAHardErrorNamingFileAndOffset() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs, segmentMaxBytes: 200)
        for i in 0..<6 { _ = try await log.append(LogFixture.record("k\(i)")) }
        #expect(log.segments.count == 2)
        log.close()
        // Flip one payload byte of record 2 (the middle of the sealed first segment).
        let second = 40 + recordBytes
        let original = try #require(fs.contents(of: firstSegment))
        fs.damage(firstSegment, at: second + 30, with: [original[second + 30] ^ 0x01])
        expectError(.corruptRecord, file: firstSegment, offset: second) { _ = try openLog(fs, segmentMaxBytes: 200) }

        // The length field of record 3 claiming more bytes than remain is just as fatal in a sealed segment.
        fs.damage(firstSegment, at: second + 30, with: [original[second + 30]])
        fs.damage(firstSegment, at: second + recordBytes, with: [0xFF, 0x00, 0x00, 0x00])
        expectError(.corruptRecord, file: firstSegment, offset: second + recordBytes) {
            _ = try openLog(fs, segmentMaxBytes: 200)
        }
    }

    @Test func corruptSegmentHeaderAndManifestAreHardErrors() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        _ = try await log.append(LogFixture.record("k"))
        log.close()
        fs.damage(firstSegment, at: 3, with: [0])
        expectError(.corruptRecord, file: firstSegment, offset: 0) { _ = try openLog(fs) }
        fs.damage("/log/MANIFEST", at: 20, with: [0xEE])
        expectError(.corruptManifest, file: "/log/MANIFEST", offset: 0) { _ = try openLog(fs) }
        try fs.remove("/log/MANIFEST")
        expectError(.corruptManifest, file: "/log/MANIFEST", offset: nil) { _ = try openLog(fs) }
    }

    @Test func bitRotFoundWhileReadingIsReportedWithFileAndOffset() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        for i in 0..<3 { _ = try await log.append(LogFixture.record("k\(i)")) }
        fs.damage(firstSegment, at: 40 + recordBytes + 35, with: [0x00, 0x01])
        expectError(.corruptRecord, file: firstSegment, offset: 40 + recordBytes) {
            _ = try log.read(from: 1, limit: 3)
        }
        #expect(try log.read(from: 1, limit: 1).map(\.sequence) == [1])
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func powerLossKeepsEveryAcknowledgedRecord(seed: UInt64) async throws {
        let fs = FaultInjectingFileSystem(seed: seed)
        let log = try openLog(fs, segmentMaxBytes: 400)
        var acknowledged: [UInt64: String] = [:]
        for round in 0..<Int(seed % 4 + 1) {
            let keys = (0..<Int(seed % 5 + 1)).map { "r\(round)-\($0)" }
            for (sequence, key) in zip(try await log.append(keys.map { LogFixture.record($0) }), keys) {
                acknowledged[sequence] = key
            }
        }
        // A batch is written but its sync never finishes before the power goes.
        fs.pauseSyncs()
        let doomed = Task { try await log.append((0..<4).map { LogFixture.record("doomed-\($0)") }) }
        await LogFixture.waitUntil("the doomed batch is syncing") { fs.syncsWaiting == 1 }
        fs.powerLoss()
        fs.resumeSyncs()
        await #expect(throws: LogError.self) { try await doomed.value }

        let reopened = try openLog(fs, segmentMaxBytes: 400)
        let records = try reopened.read(from: 1, limit: 1000)
        #expect(records.map(\.sequence) == Array(1...UInt64(records.count)))
        for (sequence, key) in acknowledged {
            #expect(records.first { $0.sequence == sequence }?.streamKey == key)
        }
        // Anything beyond the acknowledged records is whole: a complete record of the doomed batch, never a part.
        #expect(records.allSatisfy { $0.payload == LogFixture.payload(for: $0.streamKey, bytes: 16) })
        #expect(records.count >= acknowledged.count && records.count <= acknowledged.count + 4)
    }

    @Test func failedFsyncIsFatalAndRecoveryKeepsAcknowledgedRecords() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try openLog(fs)
        #expect(try await log.append((0..<3).map { LogFixture.record("k\($0)") }) == [1, 2, 3])
        fs.failNextSync(errno: EIO)
        do {
            _ = try await log.append(LogFixture.record("lost"))
            Issue.record("the append whose fsync failed must fail")
        } catch {
            #expect(error.code == .fsyncFailed)
            #expect(error.errno == EIO)
            #expect(error.file == firstSegment)
        }
        do {
            _ = try await log.append(LogFixture.record("after"))
            Issue.record("a failed log must refuse appends")
        } catch {
            #expect(error.code == .logFailed)
            #expect((error.cause as? LogError)?.code == .fsyncFailed)
        }
        expectError(.logFailed, file: "/log", offset: nil) { _ = try log.read(from: 1, limit: 10) }
        log.close()

        let reopened = try openLog(fs)
        #expect(try reopened.read(from: 1, limit: 10).map(\.streamKey) == ["k0", "k1", "k2"])
        fs.powerLoss()
        let afterPowerLoss = try openLog(fs)
        #expect(try afterPowerLoss.read(from: 1, limit: 10).map(\.streamKey) == ["k0", "k1", "k2"])
        #expect(try await afterPowerLoss.append(LogFixture.record("k3")) == 4)
    }

    @Test func leftoverTemporaryFilesAreRemovedAndReported() async throws {
        let fs = FaultInjectingFileSystem()
        _ = try openLog(fs).close()
        let handle = try fs.open("/log/00000000000000000002.seg.tmp", mode: .createTruncating)
        try fs.write(handle, [1, 2, 3], at: 0)
        let reopened = try openLog(fs)
        #expect(reopened.recoveryReport.removedTemporaryFiles == ["00000000000000000002.seg.tmp"])
        #expect(!fs.fileExists("/log/00000000000000000002.seg.tmp"))
    }
}
