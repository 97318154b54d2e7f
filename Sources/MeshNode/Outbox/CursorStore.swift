import MeshLog

/// Persists, per subscriber, the log sequence up to which everything it subscribes to was acknowledged
/// (or dead-lettered). One small file per subscriber, replaced atomically: write `name.cursor.tmp`, fsync,
/// rename over `name.cursor`, fsync the directory.
///
/// File layout (24 bytes, little-endian): `"MOC1"`, u64 log epoch, u64 sequence, u32 CRC-32C of the first 20
/// bytes. A cursor written for another log epoch (the log was recreated) reads as 0.
struct CursorStore: Sendable {
    let directory: String
    let fileSystem: any LogFileSystem
    let epoch: UInt64

    static let magic: [UInt8] = Array("MOC1".utf8)

    func path(_ subscriber: String) -> String { directory + "/" + subscriber + ".cursor" }

    func load(_ subscriber: String) throws(OutboxError) -> UInt64 {
        let file = path(subscriber)
        guard fileSystem.fileExists(file) else { return 0 }
        let bytes: [UInt8]
        do throws(LogError) {
            let handle = try fileSystem.open(file, mode: .existing)
            defer { fileSystem.close(handle) }
            bytes = try fileSystem.read(handle, at: 0, count: try fileSystem.size(handle))
        } catch {
            throw OutboxError(.log, "cannot read cursor \(file)", cause: error)
        }
        guard bytes.count == 24, Array(bytes[0..<4]) == Self.magic else {
            throw OutboxError(.corruptCursor, "cursor \(file) has \(bytes.count) bytes or a wrong magic")
        }
        guard CRC32C.checksum(bytes[0..<20]) == Self.le(bytes, 20, 4) else {
            throw OutboxError(.corruptCursor, "cursor \(file) fails its checksum")
        }
        return Self.le(bytes, 4, 8) == epoch ? Self.le(bytes, 12, 8) : 0
    }

    func store(_ subscriber: String, _ sequence: UInt64) throws(OutboxError) {
        var bytes = Self.magic
        Self.append(epoch, 8, to: &bytes)
        Self.append(sequence, 8, to: &bytes)
        Self.append(UInt64(CRC32C.checksum(bytes)), 4, to: &bytes)
        let file = path(subscriber)
        let temporary = file + ".tmp"
        do throws(LogError) {
            try fileSystem.createDirectory(directory)
            let handle = try fileSystem.open(temporary, mode: .createTruncating)
            do throws(LogError) {
                try fileSystem.write(handle, bytes, at: 0)
                try fileSystem.sync(handle)
            } catch {
                fileSystem.close(handle)
                throw error
            }
            fileSystem.close(handle)
            try fileSystem.rename(temporary, to: file)
            try fileSystem.syncDirectory(directory)
        } catch {
            throw OutboxError(.log, "cannot persist cursor \(file)", cause: error)
        }
    }

    private static func le<T: FixedWidthInteger>(_ b: [UInt8], _ at: Int, _ n: Int) -> T {
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
        return T(truncatingIfNeeded: v)
    }

    private static func append(_ value: UInt64, _ n: Int, to bytes: inout [UInt8]) {
        for i in 0..<n { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
