#if canImport(Glibc)
import Glibc
#endif

/// What the report must say about the machine: loopback numbers on this VM are bimodal depending on whether
/// client and server share a core (see reference/rpc.md §0), so every table states the CPU affinity.
public struct HostInfo: Hashable, Sendable {
    /// Online cores of the machine (sysconf), not the affinity mask.
    public var onlineCores: Int
    /// `Cpus_allowed_list` of this process, e.g. "0-1" or "0"; nil when /proc is unavailable.
    public var cpusAllowedList: String?

    public init(onlineCores: Int, cpusAllowedList: String?) {
        self.onlineCores = onlineCores
        self.cpusAllowedList = cpusAllowedList
    }

    /// Reads the current process's values.
    public static func current() -> HostInfo {
        var cores = 0
        #if canImport(Glibc)
        cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #endif
        let status = readFile("/proc/self/status")
        return HostInfo(onlineCores: cores, cpusAllowedList: status.flatMap(cpusAllowedList(fromStatus:)))
    }

    /// Number of CPUs in the allowed list, or nil if it cannot be parsed.
    public var allowedCPUCount: Int? { cpusAllowedList.flatMap(HostInfo.cpuCount(ofList:)) }

    /// Pinned means the affinity mask allows fewer CPUs than the machine has online.
    public var isPinned: Bool? {
        guard let allowed = allowedCPUCount, onlineCores > 0 else { return nil }
        return allowed < onlineCores
    }

    /// One line for the report header.
    public var summary: String {
        let list = cpusAllowedList ?? "unknown"
        let pinned = isPinned.map { $0 ? "pinned" : "not pinned" } ?? "pinning unknown"
        return "cores online: \(onlineCores); Cpus_allowed_list: \(list) (\(pinned))"
    }

    /// Extracts the value of `Cpus_allowed_list:` from the text of /proc/self/status.
    public static func cpusAllowedList(fromStatus status: String) -> String? {
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
            let value = line.dropFirst("Cpus_allowed_list:".count).trimmingWhitespace()
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Counts CPUs in a kernel CPU list such as "0-3,6,8-9" (→ 7). Nil for malformed lists.
    public static func cpuCount(ofList list: String) -> Int? {
        var total = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard Int(bounds[0]) != nil else { return nil }
                total += 1
            case 2:
                guard let low = Int(bounds[0]), let high = Int(bounds[1]), low <= high else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }

    private static func readFile(_ path: String) -> String? {
        #if canImport(Glibc)
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
        #else
        return nil
        #endif
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
