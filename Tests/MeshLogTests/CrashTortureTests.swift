import Foundation
import Testing

/// Runs the real `logtorture crash-test` (built next to the test bundle): a writer process is SIGKILLed at
/// random moments and the log is reopened and checked after each kill.
@Suite struct CrashTortureTests {
    /// `logtorture` sits in the same build directory as the test executable.
    private static func tortureBinary() -> String? {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for directory in candidates {
            for base in [directory, directory.deletingLastPathComponent()] {
                let path = base.appendingPathComponent("logtorture").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Runs `logtorture crash-test` with `arguments` in a fresh directory; returns its exit status and output.
    private func crashTest(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let binary = try #require(Self.tortureBinary(), "build the logtorture product (swift build) before testing")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meshlog-torture-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["crash-test", "--dir", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func sigkilledWriterNeverLosesAnAcknowledgedRecord() throws {
        let (status, text) = try crashTest([
            "--iterations", "8", "--seed", "11", "--min-delay", "50", "--max-delay", "400",
        ])
        #expect(status == 0, "\(text)")
        let summary = try #require(text.split(separator: "\n").last { $0.hasPrefix("crash-test:") })
        #expect(summary.hasPrefix("crash-test: 8 iterations,"))
        #expect(summary.hasSuffix(", 0 violations"))
        let verified = summary.split(separator: " ").dropFirst(3).first.flatMap { Int($0) } ?? 0
        #expect(verified > 0, "the writer acknowledged nothing: \(summary)")
        let words = summary.split(separator: " ")
        let inFlight = words.firstIndex(of: "kills").flatMap { words[$0 - 3] }.flatMap { Int($0) }
        #expect((inFlight ?? 0) * 2 >= 8, "most kills missed the appends: \(summary)")
        let iterations = text.split(separator: "\n").filter { $0.hasPrefix("iteration ") }
        #expect(iterations.count == 8)
        #expect(iterations.allSatisfy { $0.contains(": ready after recovery of ") })
    }

    @Test func aRunWhoseKillsMissTheAppendsFails() throws {
        // The writer holds its appends for 5 s after its ready line; every kill lands within 20 ms of it.
        let (status, text) = try crashTest([
            "--iterations", "3", "--min-delay", "0", "--max-delay", "20", "--writer-start-delay", "5000",
        ])
        #expect(status != 0, "\(text)")
        let summary = try #require(text.split(separator: "\n").last { $0.hasPrefix("crash-test:") })
        #expect(summary.contains("0 of 3 kills landed while appends were in flight"))
        #expect(summary.contains("FAILED: most kills landed before the writer acknowledged any append"))
    }
}
