#if canImport(Glibc)
import Glibc
#endif

/// A child process whose stdout is read through a pipe. Only the pid this type started is ever signalled.
struct ChildProcess {
    let pid: pid_t
    private let output: Int32
    private(set) var collected: [UInt8] = []
    private(set) var exitStatus: Int32?

    /// Starts `arguments[0]` with `arguments`, stdout to a pipe, stderr inherited.
    init(_ arguments: [String]) throws(ToolError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ToolError("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, argv, environ)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            throw ToolError("posix_spawn \(arguments[0]) failed: errno \(status)")
        }
        pid = child
        output = fds[0]
    }

    /// Collects output for up to `milliseconds`, returning early if the child exits.
    mutating func collect(forMilliseconds milliseconds: Int) {
        _ = collect(forMilliseconds: milliseconds) { _ in false }
    }

    /// Collects output until a complete line of it (newline included) starts with `prefix`; returns that line
    /// (without the newline), or nil if the child exited or `milliseconds` passed first.
    mutating func collect(untilLineStartingWith prefix: String, milliseconds: Int) -> String? {
        let wanted = Array(prefix.utf8)
        var found: String?
        var scanned = 0
        _ = collect(forMilliseconds: milliseconds) { output in
            while let newline = output[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = output[scanned..<newline]
                scanned = newline + 1
                if line.starts(with: wanted) {
                    found = String(decoding: line, as: UTF8.self)
                    return true
                }
            }
            return false
        }
        return found
    }

    /// Collects output for up to `milliseconds` or until `done(collected)` is true; returns whether it was.
    private mutating func collect(forMilliseconds milliseconds: Int, until done: ([UInt8]) -> Bool) -> Bool {
        let deadline = Self.monotonicMilliseconds() + milliseconds
        while exitStatus == nil {
            if done(collected) { return true }
            let remaining = deadline - Self.monotonicMilliseconds()
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(remaining)) > 0 {
                if !readAvailable() { reap(blocking: true) }
            }
        }
        return done(collected)
    }

    private static func monotonicMilliseconds() -> Int {
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        return Int(clock.tv_sec) * 1000 + Int(clock.tv_nsec) / 1_000_000
    }

    /// SIGKILLs the child (if still running), drains the pipe and reaps it.
    mutating func kill() {
        if exitStatus == nil { _ = Glibc.kill(pid, SIGKILL) }
        while readAvailable() {}
        close(output)
        if exitStatus == nil { reap(blocking: true) }
    }

    /// Reads one chunk; false at end of file.
    private mutating func readAvailable() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { return true }
        guard n > 0 else { return false }
        collected.append(contentsOf: chunk[0..<n])
        return true
    }

    private mutating func reap(blocking: Bool) {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            if result == pid { exitStatus = status }
            return
        }
    }

    /// Whether the child was ended by SIGKILL (as opposed to exiting on its own).
    var wasKilled: Bool { exitStatus.map { ($0 & 0x7F) == SIGKILL } ?? false }
}

/// A failure of the tool itself (not of the log under test).
struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
