import Foundation
import MeshTestKit
import Testing

/// `meshnode run --peer …` routes through breakers, and `meshprobe breakers` shows them.
@Suite("breakers admin view", .serialized)
final class BreakerAdminProcessTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-breaker-admin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @Test func meshprobeBreakersShowsTheNodesRoutedPeers() async throws {
        let node = try NodeProcess(
            product: "meshnode",
            arguments: [
                "run", "--name", "router-1", "--listen", "127.0.0.1:0", "--data-dir", "\(dir)/router-1",
                "--peer", "test=echo-a@127.0.0.1:1", "--peer", "test=echo-b@127.0.0.1:2", "--log-level", "warning",
            ],
            stderrPath: "\(dir)/router-1.log")
        defer { node.stop() }
        let line = try #require(await node.waitForLine(prefix: "listening ", timeout: 20), "stderr:\n\(node.stderr)")
        let address = String(line.dropFirst("listening ".count))

        let probe = try NodeProcess(
            product: "meshprobe", arguments: ["breakers", address], stderrPath: "\(dir)/probe.log")
        #expect(await probe.waitForExit(timeout: 20) == 0, "meshprobe stderr:\n\(probe.stderr)")
        try await Task.sleep(for: .milliseconds(100))  // let the stdout reader drain
        let out = probe.outputLines
        #expect(out.first == "node router-1", "\(out)")
        #expect(out.dropFirst().first?.hasPrefix("PEER    STATE") == true, "\(out)")
        #expect(out.contains { $0.hasPrefix("echo-a  closed") }, "\(out)")
        #expect(out.contains { $0.hasPrefix("echo-b  closed") }, "\(out)")
        node.signal(SIGTERM)
        #expect(await node.waitForExit(timeout: 15) == 0)
    }

    @Test func aMalformedPeerFlagIsRefusedAtStartUp() async throws {
        let node = try NodeProcess(
            product: "meshnode",
            arguments: [
                "run", "--name", "bad", "--listen", "127.0.0.1:0", "--data-dir", "\(dir)/bad", "--peer", "oops",
            ],
            stderrPath: "\(dir)/bad.log")
        defer { node.stop() }
        let status = await node.waitForExit(timeout: 20)
        #expect(status != nil && status != 0)
        #expect(node.stderr.contains("SERVICE=NAME@HOST:PORT"), "\(node.stderr)")
    }
}
