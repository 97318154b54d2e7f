import Foundation
import Logging
import MeshCore
import MeshCrypto
import MeshLog
import MeshNode
import MeshRPC
import MeshResilience
import MeshSaga
import MeshTransport
import NIOPosix
import Synchronization

/// A producer (log + relay transport) and helpers to stand up consumers on loopback, in a scratch directory.
struct OutboxFixture {
    let dir: String
    let ca = ClusterCA(clusterName: "outbox-test", keyPair: .generate())
    let group: MultiThreadedEventLoopGroup

    static let quiet: Logger = {
        var l = Logger(label: "mesh.outbox.test")
        l.logLevel = .critical
        return l
    }()

    init(group: MultiThreadedEventLoopGroup) throws {
        self.group = group
        dir = NSTemporaryDirectory() + "mesh-outbox-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func transport(_ name: String, router: ServiceRouter = ServiceRouter()) -> MeshTransport {
        MeshTransport(
            identity: NodeIdentity.development(name: name, roles: [], ca: ca), router: router, group: group,
            logger: Self.quiet
        )
    }

    func openLog(_ name: String) throws -> EventLog { try EventLog.open(directory: dir + "/" + name) }

    /// Fast retries; a breaker that will not open in ordinary tests.
    func relayConfiguration(
        breaker: CircuitBreaker.Configuration = .init(minimumCalls: 1_000, openWait: .milliseconds(100))
    ) -> OutboxConfiguration {
        OutboxConfiguration(
            origin: "producer-1", cursorDirectory: dir + "/cursors", batchSize: 8,
            backoff: Backoff(initial: .milliseconds(5), multiplier: 2, max: .milliseconds(40)), breaker: breaker,
            pollInterval: .milliseconds(5), callTimeout: .seconds(2), seed: 7
        )
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }
}

/// Everything a consumer's handler saw, in arrival order.
final class Seen: Sendable {
    private let events = Mutex<[DeliveredEvent]>([])
    func add(_ e: DeliveredEvent) { events.withLock { $0.append(e) } }
    var all: [DeliveredEvent] { events.withLock { $0 } }
}

/// Polls `condition` every 10 ms for up to `seconds`; returns whether it became true.
func eventually(seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

func event(_ stream: String, _ n: Int, type: UInt16 = 1) -> NewRecord {
    NewRecord(type: type, streamKey: stream, payload: Array("\(stream)#\(n)".utf8))
}
