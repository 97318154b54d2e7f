import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import NIOPosix
import Synchronization
import Testing

/// SIGTERM under load, with a real `meshnode` process: calls in flight finish, new calls are refused with
/// `unavailable` (never silently lost), `/readyz` reports `draining` meanwhile, the shutdown logs no warning, and
/// the process exits 0 within the drain bound.
@Suite("SIGTERM drain", .serialized)
final class DrainProcessTests {
    let dir: String
    var node: NodeProcess?

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-drain-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit {
        node?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// One call of the load, as the client saw it (seconds since the load started).
    struct Outcome: Sendable {
        enum Result: Sendable, Equatable {
            case ok
            /// Refused before the node accepted it (goAway, listener closed): the client may retry elsewhere.
            case refused
            /// Failed after the node may have accepted it: a lost call.
            case failed(String)
        }
        var start: Double
        var end: Double
        var result: Result
    }

    /// The outcomes the load's workers record.
    final class OutcomeLog: Sendable {
        private let outcomes = Mutex<[Outcome]>([])
        func append(_ outcome: Outcome) { outcomes.withLock { $0.append(outcome) } }
        var all: [Outcome] { outcomes.withLock { $0 } }
    }

    static func classify(_ error: RPCError) -> Outcome.Result {
        let refused = ["going away", "shutting down", "cannot connect", "unreachable", "connection refused"]
        if error.code == .unavailable, refused.contains(where: { error.message.contains($0) }) { return .refused }
        return .failed("\(error.code): \(error.message)")
    }

    @Test("SIGTERM under a bounded call load: in-flight calls finish, exit 0 within the drain bound")
    func drainUnderLoad() async throws {
        let drainTimeout = 5.0
        let p = try NodeProcess(
            product: "meshnode",
            arguments: [
                "run", "--name", "drain-1", "--listen", "127.0.0.1:0", "--data-dir", "\(dir)/data", "--test-echo",
                "--admin-http", "127.0.0.1:0", "--drain-timeout", "\(drainTimeout)",
            ],
            stderrPath: "\(dir)/drain-1.log")
        node = p
        let listening = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            listening.flatMap { HostPort(String($0.dropFirst("listening ".count))) }, "no address: \(p.stderr)")
        let adminLine = await p.waitForLine(prefix: "admin listening ", timeout: 20)
        let admin = try #require(adminLine.flatMap { HostPort(String($0.dropFirst("admin listening ".count))) })

        var logger = Logger(label: "test.load")
        logger.logLevel = .critical
        let client = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "load-client", roles: []), router: ServiceRouter(),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        // Each call takes 600 ms on the node: every worker has one in flight when the signal lands, and the drain
        // lasts long enough to see /readyz answer `draining`.
        _ = try await client.call(TestEchoService.setDelay, EchoDelay(.milliseconds(600)), at: address)

        let workers = 32
        let callsPerWorker = 10
        let outcomes = OutcomeLog()
        let began = Date()
        var sigtermAt = 0.0
        var exitStatus: Int32?
        var exitAfter = 0.0
        var readyDuringDrain: HTTPGet?
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    for _ in 0..<callsPerWorker {
                        let start = Date().timeIntervalSince(began)
                        let result: Outcome.Result
                        do throws(RPCError) {
                            _ = try await client.call(
                                TestEchoService.echo, RawMessage([1, 2, 3]), at: address,
                                options: CallOptions(timeout: .seconds(20)))
                            result = .ok
                        } catch {
                            result = Self.classify(error)
                        }
                        outcomes.append(Outcome(start: start, end: Date().timeIntervalSince(began), result: result))
                        if result != .ok { return }  // a real client fails over to another node
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(1500))
            sigtermAt = Date().timeIntervalSince(began)
            p.signal(SIGTERM)
            try? await Task.sleep(for: .milliseconds(100))
            readyDuringDrain = try? await HTTPGet.fetch("/readyz", from: admin)
            exitStatus = await p.waitForExit(timeout: drainTimeout + 10)
            exitAfter = Date().timeIntervalSince(began) - sigtermAt
            await group.waitForAll()
        }

        await client.shutdown()
        let all = outcomes.all
        let ok = all.filter { $0.result == .ok }
        let refused = all.filter { $0.result == .refused }
        let failed = all.filter { if case .failed = $0.result { return true } else { return false } }
        let inFlightAtSignal = all.filter { $0.start < sigtermAt && $0.end > sigtermAt }
        print(
            "drain: exit \(exitStatus.map(String.init) ?? "none") \(String(format: "%.2f", exitAfter)) s after SIGTERM "
                + "(bound \(drainTimeout) s + 5 s); calls: \(all.count) total, \(ok.count) ok, "
                + "\(inFlightAtSignal.count) in flight at the signal (\(inFlightAtSignal.filter { $0.result == .ok }.count) ok), "
                + "\(refused.count) refused before acceptance, \(failed.count) lost")

        #expect(exitStatus == 0, "stderr:\n\(p.stderr)")
        #expect(exitAfter < drainTimeout + 5)
        #expect(failed.isEmpty, "lost calls: \(failed.prefix(5).map(\.result))")
        #expect(!inFlightAtSignal.isEmpty)
        #expect(inFlightAtSignal.allSatisfy { $0.result == .ok })
        #expect(ok.count > workers)
        #expect(readyDuringDrain?.status == 503)
        #expect((readyDuringDrain?.json["failing"] as? [String])?.contains("draining") == true)

        // The shutdown logs nothing at warning or above.
        let log = p.stderr
        let shutdownPart = log.range(of: "graceful shutdown").map { String(log[$0.lowerBound...]) } ?? ""
        #expect(!shutdownPart.isEmpty, "no graceful shutdown logged:\n\(log)")
        let loud = shutdownPart.split(separator: "\n").filter {
            $0.contains("level=warning") || $0.contains("level=error") || $0.contains("level=critical")
        }
        #expect(loud.isEmpty, "shutdown logged: \(loud)")
    }
}
