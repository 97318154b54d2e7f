import Foundation

/// A child process started by a test (a `meshnode`, a torture writer), killed only by its own pid.
///
/// Standard output is read line by line so tests can wait for readiness lines; standard error goes
/// to a file in the test's temporary directory, kept for diagnosis.
public final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set up in init and then only used through
    // thread-safe Foundation APIs; `lines` is guarded by `lock`.
    public let process = Process()
    public let stderrPath: String
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()

    /// The directory holding the package's built products (next to the running test bundle).
    public static var productsDirectory: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir
    }

    /// Starts `product` (an executable of this package) with `arguments`.
    public init(product: String, arguments: [String], stderrPath: String) throws {
        self.stderrPath = stderrPath
        process.executableURL = NodeProcess.productsDirectory.appendingPathComponent(product)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let out = Pipe()
        process.standardOutput = out
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.partial.append(data)
            while let nl = self.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: self.partial[self.partial.startIndex..<nl], as: UTF8.self)
                self.lines.append(line)
                self.partial.removeSubrange(self.partial.startIndex...nl)
            }
            self.lock.unlock()
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Lines printed on standard output so far.
    public var outputLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits until a stdout line starts with `prefix` and returns it, or nil after `timeout` seconds.
    public func waitForLine(prefix: String, timeout: Double) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let l = outputLines.first(where: { $0.hasPrefix(prefix) }) { return l }
            if !process.isRunning { return outputLines.first(where: { $0.hasPrefix(prefix) }) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Sends `signal` to this process (and only this one).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Waits for exit up to `timeout` seconds; returns the exit status, or nil if still running.
    public func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGKILLs the process if it still runs and reaps it. Call from every test's cleanup.
    public func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// The contents of the process's standard error so far.
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}
