import Glibc

/// The disk's own durable-write limit: one 4 KiB `pwrite` + `fdatasync` at a time for `seconds`, cycling over a
/// 1 MiB file that was written and synced first, so every timed write overwrites allocated blocks (the cheapest
/// durable write: nothing but the data to flush).
func measureFdatasyncRate(directory: String, seconds: Double) -> RunResult {
    let path = directory + "/fsync-probe"
    let fd = Glibc.open(path, O_CREAT | O_RDWR | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot open \(path)")
    defer {
        close(fd)
        unlink(path)
    }
    let zeros = [UInt8](repeating: 0, count: 4096 * 256)
    let filled = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    precondition(filled == zeros.count && fdatasync(fd) == 0)
    var block = [UInt8](repeating: 0xA5, count: 4096)
    var latencies: [UInt64] = []
    let start = nowNanos()
    let end = start + UInt64(seconds * 1e9)
    var offset: off_t = 0
    while nowNanos() < end {
        let t0 = nowNanos()
        let written = block.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, 4096, offset) }
        precondition(written == 4096)
        precondition(fdatasync(fd) == 0)
        latencies.append(nowNanos() - t0)
        offset = (offset + 4096) % (4096 * 256)
        block[0] &+= 1
    }
    return RunResult(operations: latencies.count, seconds: Double(nowNanos() - start) / 1e9, latencies: latencies)
}
