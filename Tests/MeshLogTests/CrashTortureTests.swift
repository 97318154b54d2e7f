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

    @Test func sigkilledWriterNeverLosesAnAcknowledgedRecord() throws {
        let binary = try #require(Self.tortureBinary(), "build the logtorture product (swift build) before testing")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meshlog-torture-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "crash-test", "--dir", directory, "--iterations", "8", "--seed", "11", "--min-delay", "50", "--max-delay",
            "400",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus == 0, "\(text)")
        let summary = try #require(text.split(separator: "\n").last { $0.hasPrefix("crash-test:") })
        #expect(summary.hasPrefix("crash-test: 8 iterations,"))
        #expect(summary.hasSuffix(", 0 violations"))
        let verified = summary.split(separator: " ").dropFirst(3).first.flatMap { Int($0) } ?? 0
        #expect(verified > 0, "the writer acknowledged nothing: \(summary)")
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("iteration ") }.count == 8)
    }
}
