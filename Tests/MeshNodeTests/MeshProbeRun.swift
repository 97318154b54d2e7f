import Foundation
import MeshTestKit
import Testing

/// One finished run of the built `meshprobe` binary: its exit status and everything it printed.
struct MeshProbeRun {
    var status: Int32
    var stdout: String
    var stderr: String

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// Standard output parsed as one JSON object (`--json`).
    func json() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(stdout)")
    }

    /// Runs `meshprobe arguments` to completion (killed after `timeout` seconds), with `stdin` as its input.
    /// Output goes to files in `directory`, so nothing is lost however fast the process exits.
    static func run(
        _ arguments: [String], in directory: String, stdin: [UInt8]? = nil, timeout: Double = 30
    ) async throws -> MeshProbeRun {
        let id = UInt32.random(in: 0...UInt32.max)
        let out = "\(directory)/probe-\(id).out"
        let err = "\(directory)/probe-\(id).err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = NodeProcess.productsDirectory.appendingPathComponent("meshprobe")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        if let stdin {
            let input = "\(directory)/probe-\(id).in"
            _ = FileManager.default.createFile(atPath: input, contents: Data(stdin))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("meshprobe \(arguments) did not finish within \(timeout) s")
        }
        return MeshProbeRun(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
