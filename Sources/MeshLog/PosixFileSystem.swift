#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `LogFileSystem` over POSIX syscalls: open/pread/pwrite/fdatasync/fsync/rename/unlink.
public struct PosixFileSystem: LogFileSystem {
    public init() {}

    private static func failure(_ what: String, _ path: String?, code: LogError.Code = .ioError) -> LogError {
        let number = errno
        let reason = String(cString: strerror(number))
        return LogError(code, "\(what) failed: \(reason)", file: path, errno: number)
    }

    public func open(_ path: String, mode: LogOpenMode) throws(LogError) -> LogFileHandle {
        var flags = O_RDWR | O_CLOEXEC
        switch mode {
        case .existing: break
        case .createIfMissing: flags |= O_CREAT
        case .createTruncating: flags |= O_CREAT | O_TRUNC
        }
        let fd = path.withCString { systemOpen($0, flags, 0o644) }
        guard fd >= 0 else { throw Self.failure("open", path) }
        return LogFileHandle(rawValue: fd)
    }

    public func close(_ file: LogFileHandle) {
        _ = systemClose(file.rawValue)
    }

    public func read(_ file: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        if count == 0 { return [] }
        var failed = false
        // Not zero-filled first: only the bytes pread delivered count as initialised.
        let buffer = [UInt8](unsafeUninitializedCapacity: count) { raw, initialized in
            var done = 0
            while done < count {
                let n = pread(file.rawValue, raw.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failed { throw Self.failure("pread", nil) }
        return buffer
    }

    public func write(_ file: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        var done = 0
        var failed = false
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = pwrite(file.rawValue, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                done += n
            }
        }
        if failed { throw Self.failure("pwrite", nil) }
    }

    public func size(_ file: LogFileHandle) throws(LogError) -> Int {
        var info = stat()
        guard fstat(file.rawValue, &info) == 0 else { throw Self.failure("fstat", nil) }
        return Int(info.st_size)
    }

    public func truncate(_ file: LogFileHandle, to size: Int) throws(LogError) {
        guard ftruncate(file.rawValue, off_t(size)) == 0 else { throw Self.failure("ftruncate", nil) }
    }

    public func sync(_ file: LogFileHandle) throws(LogError) {
        guard fdatasync(file.rawValue) == 0 else { throw Self.failure("fdatasync", nil, code: .fsyncFailed) }
    }

    public func syncDirectory(_ path: String) throws(LogError) {
        let fd = path.withCString { systemOpen($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw Self.failure("open directory", path) }
        defer { _ = systemClose(fd) }
        guard fsync(fd) == 0 else { throw Self.failure("fsync directory", path, code: .fsyncFailed) }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        guard systemRename(from, to) == 0 else { throw Self.failure("rename to \(to)", from) }
    }

    public func remove(_ path: String) throws(LogError) {
        guard unlink(path) == 0 else { throw Self.failure("unlink", path) }
    }

    public func list(_ directory: String) throws(LogError) -> [String] {
        guard let dir = opendir(directory) else { throw Self.failure("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func createDirectory(_ path: String) throws(LogError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw Self.failure("mkdir", prefix) }
        }
    }

    public func lock(_ path: String) throws(LogError) -> LogFileHandle {
        let handle = try open(path, mode: .createIfMissing)
        guard flock(handle.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let error =
                errno == EWOULDBLOCK
                ? LogError(.directoryLocked, "another open log holds the lock", file: path, errno: errno)
                : Self.failure("flock", path)
            close(handle)
            throw error
        }
        return handle
    }

    public func unlock(_ file: LogFileHandle) {
        _ = flock(file.rawValue, LOCK_UN)
        close(file)
    }

    public func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
