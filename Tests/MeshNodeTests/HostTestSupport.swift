import Foundation
import Logging
import MeshCore
import MeshLog
import MeshNode
import MeshRPC
import MeshResilience
import MeshSaga
import MeshTransport
import NIOPosix

/// A scratch data directory and a (not listening) transport for hosting services in a test.
struct HostFixture {
    let dir: String
    let transport: MeshTransport

    static let quiet: Logger = {
        var l = Logger(label: "mesh.host.test")
        l.logLevel = .critical
        return l
    }()

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-host-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        transport = MeshTransport(
            identity: DevelopmentIdentity.identity(name: "host-test", roles: []), router: ServiceRouter(),
            group: MultiThreadedEventLoopGroup.singleton, logger: Self.quiet)
    }

    /// Fast loops for tests: snapshots only when asked (unless `snapshotEvery` says otherwise).
    static func configuration(snapshotEvery: Int = 1 << 40) -> ServiceHostConfiguration {
        ServiceHostConfiguration(
            snapshotEvery: snapshotEvery, dueInterval: .milliseconds(20), subscriberRefresh: .milliseconds(20),
            relayBatchSize: 16, relayPollInterval: .milliseconds(5),
            relayBackoff: Backoff(initial: .milliseconds(5), multiplier: 2, max: .milliseconds(50)),
            relayBreaker: .init(minimumCalls: 1_000, openWait: .milliseconds(100)))
    }

    func host<D: EventSourcedDomain>(
        _: D.Type, _ instance: String, instances: Int = 1, snapshotEvery: Int = 1 << 40
    ) throws -> ServiceHost<D> {
        try ServiceHost<D>(
            instance: instance, instances: instances, dataDirectory: dir,
            configuration: Self.configuration(snapshotEvery: snapshotEvery), logger: Self.quiet)
    }

    /// Runs `host` while `body` runs, then stops it and waits until its log is closed.
    func running<D, R: Sendable>(
        _ host: ServiceHost<D>, _ body: @Sendable () async throws -> R
    ) async throws -> R {
        let context = HostingContext(transport: transport, membership: nil)
        let task = Task { try await host.run(context: context) }
        defer { task.cancel() }
        _ = await eventually { host.status.isReady }
        let result = try await body()
        task.cancel()
        try await task.value
        return result
    }

    /// Every record of `service`'s log (opened read-write, so only while its host is stopped).
    func records(of service: String) throws -> [LogRecord] {
        let log = try EventLog.open(directory: dir + "/" + service)
        defer { log.close() }
        return try log.read(from: 1, limit: 1_000_000)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }
}

func addition(_ counter: String, _ amount: Int64, _ id: String) -> TestAddition {
    TestAddition(counter: counter, amount: amount, requestID: id)
}
