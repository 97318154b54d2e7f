import Foundation

/// A server child process: this same executable re-run as `rpcbench <subcommand> 0`. The child binds port 0,
/// prints `LISTENING <port>` on stdout and serves until killed. Client and server in separate processes is the
/// honest setup (no shared event loops or allocator). The child inherits this process's CPU affinity.
public final class ServerProcess {
    public let pid: Int32
    public let port: Int
    private let process: Process

    private init(process: Process, port: Int) {
        self.process = process
        self.pid = process.processIdentifier
        self.port = port
    }

    /// Starts the child and blocks until it announces its port (or exits).
    public static func launch(subcommand: String) throws -> ServerProcess {
        let process = Process()
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [subcommand, "0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        do {
            try process.run()
        } catch {
            throw BenchError(.serverStartFailed, "cannot run \(executable) \(subcommand)", cause: error)
        }
        var text = ""
        while true {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw BenchError(.serverStartFailed, "\(subcommand) exited before listening; said: \(text)")
            }
            text += String(decoding: chunk, as: UTF8.self)
            if let port = Self.announcedPort(in: text) { return ServerProcess(process: process, port: port) }
        }
    }

    /// The port in a complete `LISTENING <port>` line of `output`, if any.
    static func announcedPort(in output: String) -> Int? {
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        where line.hasPrefix("LISTENING ") {
            return Int(line.dropFirst("LISTENING ".count))
        }
        return nil
    }

    /// Kills the child by pid (SIGTERM) and reaps it.
    public func terminate() {
        if process.isRunning {
            kill(pid, SIGTERM)
        }
        process.waitUntilExit()
    }
}
