#if canImport(Glibc)
import Glibc
#endif

/// CPU time (user + system) consumed so far by this process or by another process of ours (a server child),
/// so a cell can report CPU per call: unlike calls/s, that number barely moves when other work shares the machine.
public enum ProcessCPU {
    /// This process, microsecond resolution (`getrusage`).
    public static func selfNanos() -> UInt64 {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func nanos(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1_000 }
        return nanos(usage.ru_utime) + nanos(usage.ru_stime)
    }

    /// Another process from `/proc/PID/stat` (fields 14 utime and 15 stime, in clock ticks); nil if unreadable.
    public static func nanos(pid: Int32) -> UInt64? {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // After ')': field 3 (state) is fields[0], so utime (14) is fields[11] and stime (15) is fields[12].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) * (1_000_000_000 / max(ticks, 1))
    }
}
