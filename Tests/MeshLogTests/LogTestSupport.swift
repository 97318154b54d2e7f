import MeshCore
import MeshLog
import Synchronization
import Testing

/// A settable wall clock for retention tests (ns since the Unix epoch).
final class SettableWallClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    func set(_ nanoseconds: Int64) { value.withLock { $0 = nanoseconds } }
    func now() -> Int64 { value.withLock { $0 } }
}

enum LogFixture {
    static let epoch: UInt64 = 0xABCD_EF01_2345_6789
    static let directory = "/log"

    static func configuration(
        segmentMaxBytes: Int = 64 << 20,
        maxRecordBytes: Int = 1 << 20,
        maxBatchBytes: Int = 4 << 20,
        preallocationBytes: Int = 1 << 20,
        wallClock: SettableWallClock = SettableWallClock(1_000)
    ) -> LogConfiguration {
        LogConfiguration(
            segmentMaxBytes: segmentMaxBytes, maxRecordBytes: maxRecordBytes, maxBatchBytes: maxBatchBytes,
            preallocationBytes: preallocationBytes, wallClock: { wallClock.now() },
            newEpoch: { epoch }
        )
    }

    /// A record whose payload is derived from its key, so any record read back can be checked on its own.
    static func record(_ key: String, type: UInt16 = 1, bytes: Int = 16) -> NewRecord {
        NewRecord(type: type, streamKey: key, payload: payload(for: key, bytes: bytes))
    }

    static func payload(for key: String, bytes: Int) -> [UInt8] {
        var random = SeededRandom(seed: UInt64(truncatingIfNeeded: key.hashValueStable))
        return (0..<bytes).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// Polls `condition` (the state of other threads) until it holds; records an issue after ~10 s.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async {
        for _ in 0..<10_000 {
            if condition() { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("timed out waiting until \(what)")
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across processes, unlike `hashValue`.
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
