import MeshCore
import MeshLog
import MeshSaga
import MeshWire

/// A hosted service's state and inbox ledger as of one log sequence (proto-spec/snapshots.md).
///
/// Invariant: `state` and `ledger` are exactly the fold of every record of the log with epoch `epoch` up to and
/// including `sequence`; so restarting from it means folding only the records after `sequence`.
struct HostSnapshot: Sendable {
    var epoch: UInt64
    var sequence: UInt64
    var takenAt: Int64
    var ledger: InboxLedger
    var state: [UInt8]

    static let magic: [UInt8] = Array("MESHSNP1".utf8)
    static let headerBytes = 40

    /// The file: 40-byte header, ledger bytes, state bytes, CRC-32C of everything before it.
    func encoded() -> [UInt8] {
        let ledgerBytes = Self.encode(ledger)
        var bytes = Self.magic
        bytes.reserveCapacity(Self.headerBytes + ledgerBytes.count + state.count + 4)
        Self.append(epoch, to: &bytes)
        Self.append(sequence, to: &bytes)
        Self.append(UInt64(bitPattern: takenAt), to: &bytes)
        Self.append(UInt32(ledgerBytes.count), to: &bytes)
        Self.append(UInt32(state.count), to: &bytes)
        bytes += ledgerBytes
        bytes += state
        Self.append(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes and checks a snapshot file; the message says what is wrong.
    init(decoding bytes: [UInt8]) throws(HostError) {
        guard bytes.count >= Self.headerBytes + 4, Array(bytes[0..<8]) == Self.magic else {
            throw HostError(.corruptSnapshot, "\(bytes.count) bytes or a wrong magic")
        }
        let crc: UInt32 = Self.read(bytes, bytes.count - 4)
        guard CRC32C.checksum(bytes[0..<(bytes.count - 4)]) == crc else {
            throw HostError(.corruptSnapshot, "checksum mismatch")
        }
        let ledgerCount = Int(Self.read(bytes, 32) as UInt32)
        let stateCount = Int(Self.read(bytes, 36) as UInt32)
        guard Self.headerBytes + ledgerCount + stateCount + 4 == bytes.count else {
            throw HostError(.corruptSnapshot, "section lengths \(ledgerCount) + \(stateCount) do not fill the file")
        }
        epoch = Self.read(bytes, 8)
        sequence = Self.read(bytes, 16)
        takenAt = Int64(bitPattern: Self.read(bytes, 24))
        let ledgerStart = Self.headerBytes
        do {
            ledger = try Self.decodeLedger(bytes[ledgerStart..<(ledgerStart + ledgerCount)])
        } catch {
            throw HostError(.corruptSnapshot, "inbox ledger does not decode", cause: error)
        }
        state = Array(bytes[(ledgerStart + ledgerCount)..<(ledgerStart + ledgerCount + stateCount)])
    }

    init(epoch: UInt64, sequence: UInt64, takenAt: Int64, ledger: InboxLedger, state: [UInt8]) {
        self.epoch = epoch
        self.sequence = sequence
        self.takenAt = takenAt
        self.ledger = ledger
        self.state = state
    }

    /// `repeated 1: origin {1: node, 2: epoch (fixed64), 3: highWater, 4: repeated above (sorted)}`.
    static func encode(_ ledger: InboxLedger) -> [UInt8] {
        var w = PayloadWriter()
        for (origin, applied) in ledger.origins.sorted(by: { $0.key.description < $1.key.description }) {
            w.message(1) { m in
                m.string(1, origin.node.rawValue)
                m.fixed64(2, origin.epoch)
                m.uint(3, applied.highWater)
                for s in applied.above.sorted() { m.uint(4, s) }
            }
        }
        return w.bytes
    }

    static func decodeLedger(_ bytes: ArraySlice<UInt8>) throws(WireError) -> InboxLedger {
        var r = PayloadReader(bytes)
        var origins: [EventOrigin: AppliedSequences] = [:]
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            var m = PayloadReader(try f.bytes())
            var node = ""
            var epoch: UInt64 = 0
            var highWater: UInt64 = 0
            var above: [UInt64] = []
            while let g = try m.next() {
                switch g.number {
                case 1: node = try g.string()
                case 2: epoch = try g.uint()
                case 3: highWater = try g.uint()
                case 4: above.append(try g.uint())
                default: break
                }
            }
            guard !node.isEmpty else { throw WireError(.missingField, "ledger origin has no node") }
            origins[EventOrigin(node: NodeName(node), epoch: epoch)] = AppliedSequences(
                highWater: highWater, above: above)
        }
        return InboxLedger(origins: origins)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for k in 0..<(T.bitWidth / 8) { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * k))) }
    }

    private static func read<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int) -> T {
        var value: T = 0
        for k in 0..<(T.bitWidth / 8) { value |= T(truncatingIfNeeded: bytes[at + k]) << (8 * k) }
        return value
    }
}

/// The snapshot files of one hosted service: `<directory>/<%020llu sequence>.snap`, each written atomically
/// (`.tmp`, fdatasync, rename, directory fsync); the newest `keep` are kept.
struct SnapshotStore: Sendable {
    let directory: String
    let fileSystem: any LogFileSystem
    var keep = 2

    static let suffix = ".snap"

    func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + Self.suffix
    }

    /// Sequences of the snapshot files present, newest first.
    func sequences() throws(LogError) -> [UInt64] {
        guard fileSystem.fileExists(directory) else { return [] }
        return try fileSystem.list(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(Self.suffix), name.count == 20 + Self.suffix.count else { return nil }
            return UInt64(name.prefix(20))
        }.sorted(by: >)
    }

    func load(_ sequence: UInt64) throws(HostError) -> HostSnapshot {
        let path = directory + "/" + name(sequence)
        let bytes: [UInt8]
        do throws(LogError) {
            let handle = try fileSystem.open(path, mode: .existing)
            defer { fileSystem.close(handle) }
            bytes = try fileSystem.read(handle, at: 0, count: try fileSystem.size(handle))
        } catch {
            throw HostError(.log, "cannot read snapshot \(path)", cause: error)
        }
        do throws(HostError) {
            return try HostSnapshot(decoding: bytes)
        } catch {
            throw HostError(error.code, "snapshot \(path): \(error.message)", cause: error.cause)
        }
    }

    /// Writes `snapshot` durably, then removes all but the newest `keep` files.
    func store(_ snapshot: HostSnapshot) throws(LogError) {
        try fileSystem.createDirectory(directory)
        let path = directory + "/" + name(snapshot.sequence)
        let temporary = path + ".tmp"
        let handle = try fileSystem.open(temporary, mode: .createTruncating)
        do throws(LogError) {
            try fileSystem.write(handle, snapshot.encoded(), at: 0)
            try fileSystem.sync(handle)
        } catch {
            fileSystem.close(handle)
            throw error
        }
        fileSystem.close(handle)
        try fileSystem.rename(temporary, to: path)
        try fileSystem.syncDirectory(directory)
        let old = try sequences().dropFirst(keep)
        for sequence in old { try fileSystem.remove(directory + "/" + name(sequence)) }
        if !old.isEmpty { try fileSystem.syncDirectory(directory) }
        for name in try fileSystem.list(directory) where name.hasSuffix(".tmp") {
            try? fileSystem.remove(directory + "/" + name)
        }
    }
}
