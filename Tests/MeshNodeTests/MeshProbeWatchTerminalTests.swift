import Foundation
import MeshTestKit
import Testing

/// `meshprobe watch` in a real terminal: tmux runs it against a real node, `capture-pane` must show the tables,
/// and q (then Ctrl-C, in a second run) must end it with status 0 and the terminal back in cooked mode.
/// Skipped with a message when tmux is missing, except under CI (CI set), where that is a failure.
@Suite("meshprobe watch in tmux", .serialized)
final class MeshProbeWatchTerminalTests {
    let dir: String
    let socket = "meshprobe-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-probe-watch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit {
        _ = try? Self.tmux(["-L", socket, "kill-server"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs tmux to completion and returns its standard output. Spawned and reaped with posix_spawn/waitpid
    /// (Foundation's Process never reaped the client that forks the tmux server), output through a file: the
    /// server inherits the descriptor and would hold a pipe open forever.
    @discardableResult
    static func tmux(_ arguments: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "meshprobe-tmux-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([tmuxPath ?? "/usr/bin/tmux"] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0]!, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    func screen(_ session: String) throws -> String {
        try Self.tmux(["-L", socket, "capture-pane", "-p", "-t", session])
    }

    /// Polls the pane until it contains every one of `texts`, for at most `seconds`.
    func waitForScreen(_ session: String, _ texts: [String], seconds: Double = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = try screen(session)
        while !texts.allSatisfy(text.contains) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            text = try screen(session)
        }
        return text
    }

    @Test(.timeLimit(.minutes(2)))
    func watchDrawsTheTablesInATerminalAndQuitsOnQAndCtrlC() async throws {
        guard Self.tmuxPath != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("tmux is missing; CI must install it (tools/ensure-deps.sh)")
            } else {
                print("skipped: meshprobe watch terminal test needs tmux (apt-get install -y tmux)")
            }
            return
        }
        let node = try NodeProcess(
            product: "meshnode",
            arguments: [
                "run", "--name", "watch-a", "--listen", "127.0.0.1:0", "--data-dir", "\(dir)/watch-a",
                "--peer", "test=ghost@127.0.0.1:1", "--log-level", "warning",
            ],
            stderrPath: "\(dir)/watch-a.log")
        defer { node.stop() }
        let line = try #require(await node.waitForLine(prefix: "listening ", timeout: 20), "\(node.stderr)")
        let address = String(line.dropFirst("listening ".count))
        let probe = NodeProcess.productsDirectory.appendingPathComponent("meshprobe").path

        for (session, key) in [("watch-q", "q"), ("watch-ctrl-c", "C-c")] {
            // After watch exits, the shell prints its status and whether the terminal is back in cooked mode.
            let script =
                "\(probe) watch \(address) --interval 0.3; echo \"watch exited $?\"; "
                + "stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; "
                + "echo; sleep 60"
            try Self.tmux(["-L", socket, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", script])
            let shown = try await waitForScreen(
                session, ["meshprobe watch \(address)", "(q quits)", "node watch-a: 1 members", "NAME", "PEER"])
            #expect(shown.contains("node watch-a: 1 members"), "screen:\n\(shown)")
            #expect(shown.split(separator: "\n").contains { $0.hasPrefix("watch-a ") }, "\(shown)")
            #expect(
                shown.split(separator: "\n").contains { $0.hasPrefix("ghost") && $0.contains("closed") }, "\(shown)")
            try Self.tmux(["-L", socket, "send-keys", "-t", session, key])
            let after = try await waitForScreen(session, ["watch exited"], seconds: 10)
            #expect(after.contains("watch exited 0"), "after \(key):\n\(after)")
            #expect(after.contains("icanon echo"), "terminal not restored after \(key):\n\(after)")
            #expect(!after.contains("(q quits)"), "the alternate screen was left:\n\(after)")
            try Self.tmux(["-L", socket, "kill-session", "-t", session])
        }
        node.signal(SIGTERM)
        #expect(await node.waitForExit(timeout: 15) == 0)
    }
}
