import MeshCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An in-memory `LogFileSystem` that remembers what is durable, for crash and fault tests.
///
/// Model: each file has `current` bytes (what reads see) and `durable` bytes (what survives a power loss);
/// `sync` makes `current` durable. Directory entries likewise have a current and a durable view;
/// `syncDirectory` makes the entries of that directory durable. `powerLoss()` reverts every file to its
/// durable bytes plus a random prefix of its last unsynced write (a torn write), reverts directory
/// entries, and invalidates every open handle. A failed sync (see `failNextSync`) discards the file's
/// unsynced writes, as Linux may after a writeback error.
public final class FaultInjectingFileSystem: LogFileSystem {
    private struct Inode {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var lastUnsyncedWrite: (offset: Int, bytes: [UInt8])?
        var dirty = false
    }

    private struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 1
        var names: [String: Int] = [:]
        var durableNames: [String: Int] = [:]
        var directories: Set<String> = []
        var handles: [Int32: Int] = [:]
        var nextHandle: Int32 = 3
        var syncCount = 0
        var directorySyncs: [String] = []
        var failNextSyncErrno: Int32?
        var corruptWritesUnder: String?
        var locks: [String: Int32] = [:]
        var syncsPaused = false
        var syncsWaiting = 0
        var random: SeededRandom
    }

    private let state: Mutex<State>

    public init(seed: UInt64 = 1) {
        state = Mutex(State(random: SeededRandom(seed: seed)))
    }

    // MARK: Faults and observation

    /// Number of successful file syncs so far.
    public var syncCount: Int { state.withLock { $0.syncCount } }

    /// Directories synced so far, in order.
    public var directorySyncs: [String] { state.withLock { $0.directorySyncs } }

    /// The next `sync` (of a file or directory) fails with `errno` and discards that file's unsynced writes.
    public func failNextSync(errno: Int32) {
        state.withLock { $0.failNextSyncErrno = errno }
    }

    /// Makes every later file `sync` block (before it takes effect) until `resumeSyncs()`.
    public func pauseSyncs() {
        state.withLock { $0.syncsPaused = true }
    }

    /// Releases syncs blocked by `pauseSyncs()`.
    public func resumeSyncs() {
        state.withLock { $0.syncsPaused = false }
    }

    /// How many file syncs are blocked by `pauseSyncs()` right now.
    public var syncsWaiting: Int { state.withLock { $0.syncsWaiting } }

    /// Every later write to a file under `directory` lands with one byte flipped (a bad disk or copy).
    public func corruptWrites(under directory: String) {
        state.withLock { $0.corruptWritesUnder = directory }
    }

    /// Simulates losing power: unsynced writes vanish except a random prefix of each file's last one,
    /// unsynced directory changes are undone, and all handles become invalid.
    public func powerLoss() {
        state.withLock { s in
            for (id, var inode) in s.inodes {
                var survivor = inode.durable
                if inode.dirty, let last = inode.lastUnsyncedWrite, !last.bytes.isEmpty {
                    let kept = Int.random(in: 0..<last.bytes.count, using: &s.random)
                    Self.apply(Array(last.bytes.prefix(kept)), at: last.offset, to: &survivor)
                }
                inode.current = survivor
                inode.durable = survivor
                inode.lastUnsyncedWrite = nil
                inode.dirty = false
                s.inodes[id] = inode
            }
            s.names = s.durableNames
            s.handles = [:]
            s.locks = [:]
            s.failNextSyncErrno = nil
        }
    }

    /// The bytes a read of `path` would see now, or nil if there is no such file.
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { s in s.names[path].flatMap { s.inodes[$0]?.current } }
    }

    /// Overwrites bytes of `path` durably (as if the disk itself changed them). Returns false if no such file.
    @discardableResult
    public func damage(_ path: String, at offset: Int, with bytes: [UInt8]) -> Bool {
        state.withLock { s in
            guard let id = s.names[path], var inode = s.inodes[id] else { return false }
            Self.apply(bytes, at: offset, to: &inode.current)
            Self.apply(bytes, at: offset, to: &inode.durable)
            s.inodes[id] = inode
            return true
        }
    }

    private static func apply(_ bytes: [UInt8], at offset: Int, to target: inout [UInt8]) {
        if target.count < offset + bytes.count {
            target.append(contentsOf: [UInt8](repeating: 0, count: offset + bytes.count - target.count))
        }
        target.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func badHandle() -> LogError {
        LogError(.ioError, "bad file handle (closed or lost in a power loss)", errno: EBADF)
    }

    // MARK: LogFileSystem

    public func open(_ path: String, mode: LogOpenMode) throws(LogError) -> LogFileHandle {
        try state.withLock { (s: inout State) throws(LogError) -> LogFileHandle in
            let id: Int
            if let existing = s.names[path] {
                id = existing
                if mode == .createTruncating {
                    s.inodes[id]!.current = []
                    s.inodes[id]!.dirty = true
                    s.inodes[id]!.lastUnsyncedWrite = nil
                }
            } else {
                guard mode != .existing else { throw LogError(.ioError, "no such file", file: path, errno: ENOENT) }
                guard s.directories.contains(Self.parent(of: path)) else {
                    throw LogError(.ioError, "no such directory", file: path, errno: ENOENT)
                }
                id = s.nextInode
                s.nextInode += 1
                s.inodes[id] = Inode()
                s.names[path] = id
            }
            let handle = s.nextHandle
            s.nextHandle += 1
            s.handles[handle] = id
            return LogFileHandle(rawValue: handle)
        }
    }

    public func close(_ file: LogFileHandle) {
        state.withLock { _ = $0.handles.removeValue(forKey: file.rawValue) }
    }

    public func read(_ file: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        try state.withLock { (s: inout State) throws(LogError) -> [UInt8] in
            guard let id = s.handles[file.rawValue], let inode = s.inodes[id] else { throw Self.badHandle() }
            guard offset < inode.current.count else { return [] }
            return Array(inode.current[offset..<min(inode.current.count, offset + count)])
        }
    }

    public func write(_ file: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        try state.withLock { (s: inout State) throws(LogError) in
            guard let id = s.handles[file.rawValue], var inode = s.inodes[id] else { throw Self.badHandle() }
            var landed = bytes
            if let under = s.corruptWritesUnder, !landed.isEmpty,
                s.names.contains(where: { $0.value == id && $0.key.hasPrefix(under) })
            {
                landed[landed.count / 2] ^= 0x5A
            }
            Self.apply(landed, at: offset, to: &inode.current)
            inode.lastUnsyncedWrite = (offset, landed)
            inode.dirty = true
            s.inodes[id] = inode
        }
    }

    public func size(_ file: LogFileHandle) throws(LogError) -> Int {
        try state.withLock { (s: inout State) throws(LogError) -> Int in
            guard let id = s.handles[file.rawValue], let inode = s.inodes[id] else { throw Self.badHandle() }
            return inode.current.count
        }
    }

    public func truncate(_ file: LogFileHandle, to size: Int) throws(LogError) {
        try state.withLock { (s: inout State) throws(LogError) in
            guard let id = s.handles[file.rawValue], var inode = s.inodes[id] else { throw Self.badHandle() }
            if size < inode.current.count {
                inode.current.removeLast(inode.current.count - size)
            } else {
                inode.current.append(contentsOf: [UInt8](repeating: 0, count: size - inode.current.count))
            }
            inode.dirty = true
            inode.lastUnsyncedWrite = nil
            s.inodes[id] = inode
        }
    }

    public func sync(_ file: LogFileHandle) throws(LogError) {
        let paused = state.withLock { s -> Bool in
            guard s.syncsPaused else { return false }
            s.syncsWaiting += 1
            return true
        }
        if paused {
            while state.withLock({ $0.syncsPaused }) { usleep(200) }
            state.withLock { $0.syncsWaiting -= 1 }
        }
        try state.withLock { (s: inout State) throws(LogError) in
            guard let id = s.handles[file.rawValue], var inode = s.inodes[id] else { throw Self.badHandle() }
            if let injected = s.failNextSyncErrno {
                s.failNextSyncErrno = nil
                inode.current = inode.durable
                inode.dirty = false
                inode.lastUnsyncedWrite = nil
                s.inodes[id] = inode
                throw LogError(.fsyncFailed, "fdatasync failed (injected)", errno: injected)
            }
            inode.durable = inode.current
            inode.dirty = false
            inode.lastUnsyncedWrite = nil
            s.inodes[id] = inode
            s.syncCount += 1
        }
    }

    public func syncDirectory(_ path: String) throws(LogError) {
        try state.withLock { (s: inout State) throws(LogError) in
            guard s.directories.contains(path) else {
                throw LogError(.ioError, "no such directory", file: path, errno: ENOENT)
            }
            if let injected = s.failNextSyncErrno {
                s.failNextSyncErrno = nil
                throw LogError(.fsyncFailed, "fsync of directory failed (injected)", file: path, errno: injected)
            }
            for name in s.durableNames.keys where Self.parent(of: name) == path { s.durableNames[name] = nil }
            for (name, id) in s.names where Self.parent(of: name) == path { s.durableNames[name] = id }
            s.directorySyncs.append(path)
        }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        try state.withLock { (s: inout State) throws(LogError) in
            guard let id = s.names.removeValue(forKey: from) else {
                throw LogError(.ioError, "no such file", file: from, errno: ENOENT)
            }
            s.names[to] = id
        }
    }

    public func remove(_ path: String) throws(LogError) {
        try state.withLock { (s: inout State) throws(LogError) in
            guard s.names.removeValue(forKey: path) != nil else {
                throw LogError(.ioError, "no such file", file: path, errno: ENOENT)
            }
        }
    }

    public func list(_ directory: String) throws(LogError) -> [String] {
        try state.withLock { (s: inout State) throws(LogError) -> [String] in
            guard s.directories.contains(directory) else {
                throw LogError(.ioError, "no such directory", file: directory, errno: ENOENT)
            }
            return s.names.keys.filter { Self.parent(of: $0) == directory }.map {
                String($0[$0.index(after: $0.lastIndex(of: "/")!)...])
            }
        }
    }

    public func createDirectory(_ path: String) throws(LogError) {
        state.withLock { _ = $0.directories.insert(path) }
    }

    public func lock(_ path: String) throws(LogError) -> LogFileHandle {
        let handle = try open(path, mode: .createIfMissing)
        try state.withLock { (s: inout State) throws(LogError) in
            guard s.locks[path] == nil else {
                s.handles[handle.rawValue] = nil
                throw LogError(.directoryLocked, "another open log holds the lock", file: path, errno: EWOULDBLOCK)
            }
            s.locks[path] = handle.rawValue
        }
        return handle
    }

    public func unlock(_ file: LogFileHandle) {
        state.withLock { s in
            for (path, holder) in s.locks where holder == file.rawValue { s.locks[path] = nil }
            s.handles[file.rawValue] = nil
        }
    }

    public func fileExists(_ path: String) -> Bool {
        state.withLock { $0.names[path] != nil }
    }
}
