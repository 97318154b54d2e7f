import Glibc

/// Monotonic nanoseconds (CLOCK_MONOTONIC).
func nowNanos() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Throughput and latency distribution of one timed run.
struct RunResult {
    var operations: Int
    var seconds: Double
    /// Per-operation latencies in nanoseconds (unsorted).
    var latencies: [UInt64]

    var perSecond: Double { Double(operations) / seconds }

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        let rank = min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)
        return Double(sorted[max(0, rank)]) / 1_000_000
    }
}

func format(_ value: Double, decimals: Int = 0) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    return String(rounded)
}

/// Removes `path` recursively (benchmark scratch only).
func removeTree(_ path: String) {
    shell("rm -rf \(path)")
}

/// Runs `command` with /bin/sh and waits for it (scratch clean-up and cache dropping only).
func shell(_ command: String) {
    var pid = pid_t()
    let words: [String] = ["/bin/sh", "-c", command]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

/// A fixed 256-byte payload.
let payload256: [UInt8] = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
