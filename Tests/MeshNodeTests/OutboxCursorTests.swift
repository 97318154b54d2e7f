import Foundation
import MeshLog
import MeshNode
import Testing

@Suite("Outbox cursor files")
struct OutboxCursorTests {
    func relay(_ fx: OutboxFixture, _ log: EventLog) throws(OutboxError) -> OutboxRelay {
        try OutboxRelay(
            log: log, transport: fx.transport("producer-1"),
            subscribers: [
                OutboxSubscriber(name: "billing", address: .init(host: "127.0.0.1", port: 1), eventTypes: [1])
            ],
            configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
        )
    }

    @Test func aDamagedCursorFileRefusesToStart() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("producer")
            try FileManager.default.createDirectory(atPath: fx.dir + "/cursors", withIntermediateDirectories: true)
            let path = fx.dir + "/cursors/billing.cursor"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 24)))
            let e = #expect(throws: OutboxError.self) { try relay(fx, log) }
            #expect(e?.code == .corruptCursor)
            #expect(FileManager.default.createFile(atPath: path, contents: Data("MOC1".utf8)))
            let short = #expect(throws: OutboxError.self) { try relay(fx, log) }
            #expect(short?.code == .corruptCursor)
            log.close()
        }
    }

    @Test func aCursorOfAnotherLogEpochStartsFromTheBeginning() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("producer")
            // Valid layout, checksum over the first 20 bytes, but an epoch this log does not have.
            var bytes = Array("MOC1".utf8)
            for v in [log.epoch &+ 1, 42] as [UInt64] {
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
            }
            let crc = CRC32C.checksum(bytes)
            for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i)))) }
            try FileManager.default.createDirectory(atPath: fx.dir + "/cursors", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: fx.dir + "/cursors/billing.cursor", contents: Data(bytes)))
            #expect(try relay(fx, log).stats("billing")?.cursor == 0)
            log.close()
        }
    }
}
