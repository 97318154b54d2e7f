/// An open file of a `LogFileSystem`. Only meaningful to the file system that returned it.
public struct LogFileHandle: Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// How `LogFileSystem.open` treats a missing or existing file.
public enum LogOpenMode: Sendable {
    /// Open an existing file for reading and writing.
    case existing
    /// Create the file (empty) if missing, else open it as it is.
    case createIfMissing
    /// Create an empty file, replacing any existing contents.
    case createTruncating
}

/// The thin file layer every byte of the log goes through, so tests can inject faults.
///
/// Paths are absolute or relative POSIX paths; `list` returns bare names. Writes are not durable until `sync`;
/// creations, renames and removals are not durable until `syncDirectory` of the parent directory.
/// Every failure is a `LogError` with code `ioError` (or `fsyncFailed` from the two sync calls) and the errno.
public protocol LogFileSystem: Sendable {
    func open(_ path: String, mode: LogOpenMode) throws(LogError) -> LogFileHandle
    func close(_ file: LogFileHandle)
    /// Reads up to `count` bytes at `offset`; fewer only when the file ends first.
    func read(_ file: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8]
    /// Writes all of `bytes` at `offset`.
    func write(_ file: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError)
    func size(_ file: LogFileHandle) throws(LogError) -> Int
    func truncate(_ file: LogFileHandle, to size: Int) throws(LogError)
    /// Makes the file's written data durable (fdatasync).
    func sync(_ file: LogFileHandle) throws(LogError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(LogError)
    func rename(_ from: String, to: String) throws(LogError)
    func remove(_ path: String) throws(LogError)
    /// Names of the entries of `directory` (without "." and "..").
    func list(_ directory: String) throws(LogError) -> [String]
    /// Creates the directory (and missing parents); succeeds if it exists.
    func createDirectory(_ path: String) throws(LogError)
    func fileExists(_ path: String) -> Bool
    /// Creates `path` if missing and takes an exclusive, non-blocking lock on it (flock); throws
    /// `directoryLocked` if another handle holds it. The lock dies with the returned handle's `unlock`
    /// (and with the process).
    func lock(_ path: String) throws(LogError) -> LogFileHandle
    /// Releases a lock taken by `lock` and closes its handle.
    func unlock(_ file: LogFileHandle)
}

extension LogFileSystem {
    /// Reads a whole file through a temporary handle.
    func readWholeFile(_ path: String) throws(LogError) -> [UInt8] {
        let handle = try open(path, mode: .existing)
        defer { close(handle) }
        let bytes = try read(handle, at: 0, count: try size(handle))
        return bytes
    }

    /// Creates `path` durably with `bytes`: write a temporary file, sync it, rename it over `path`, sync the directory.
    func writeFileAtomically(_ path: String, _ bytes: [UInt8], directory: String) throws(LogError) {
        let temporary = path + LogLayout.temporarySuffix
        let handle = try open(temporary, mode: .createTruncating)
        do throws(LogError) {
            try write(handle, bytes, at: 0)
            try sync(handle)
        } catch {
            close(handle)
            throw error
        }
        close(handle)
        try rename(temporary, to: path)
        try syncDirectory(directory)
    }
}
