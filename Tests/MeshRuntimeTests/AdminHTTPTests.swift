import Foundation
import Logging
import MeshAdminHTTP
import MeshNode
import MeshTransport
import Prometheus
import ServiceLifecycle
import Testing

/// The admin endpoint over real HTTP on loopback: status codes and bodies of /healthz, /readyz and /metrics.
@Suite("admin HTTP endpoint")
struct AdminHTTPTests {
    static func quietLogger() -> Logger {
        var logger = Logger(label: "test.admin")
        logger.logLevel = .critical
        return logger
    }

    /// Runs a node and its admin endpoint in one `ServiceGroup`, gives `body` the node and the admin address,
    /// then shuts both down gracefully.
    static func withNode(
        seeds: [HostPort] = [],
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: @Sendable (MeshNodeRuntime, HostPort) async throws -> Void
    ) async throws {
        let dir = NSTemporaryDirectory() + "mesh-admin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = quietLogger()
        let node = try MeshNodeRuntime(
            configuration: NodeConfiguration(
                name: "admin-node", listen: HostPort(host: "127.0.0.1", port: 0), seeds: seeds, dataDirectory: dir),
            logger: logger)
        let (addresses, continuation) = AsyncStream.makeStream(of: HostPort.self)
        let admin = AdminHTTPServer(
            node: node, registry: registry, address: HostPort(host: "127.0.0.1", port: 0), logger: logger,
            onListening: { continuation.yield($0) })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: admin), .init(service: node)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next())
            _ = await node.boundAddress()
            do {
                try await body(node, address)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("a node that is its own cluster is ready; /healthz is ok; /metrics shows the registry")
    func readyAlone() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "mesh_test_calls_total").increment(by: Int64(3))
        try await Self.withNode(registry: registry) { _, admin in
            let ready = try await HTTPGet.fetch("/readyz", from: admin)
            #expect(ready.status == 200)
            #expect(ready.headers["content-type"] == "application/json")
            #expect(ready.json["ready"] as? Bool == true)
            #expect(ready.json["failing"] as? [String] == [])
            let checks = ready.json["checks"] as? [[String: Any]] ?? []
            #expect(checks.map { $0["name"] as? String } == ["listener", "membership", "draining"])
            #expect(checks.allSatisfy { $0["ready"] as? Bool == true })

            let health = try await HTTPGet.fetch("/healthz", from: admin)
            #expect(health.status == 200)
            #expect(health.body == "ok\n")

            let metrics = try await HTTPGet.fetch("/metrics", from: admin)
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(metrics.body.contains("# TYPE mesh_test_calls_total counter\nmesh_test_calls_total 3\n"))

            #expect(try await HTTPGet.fetch("/nope", from: admin).status == 404)
        }
    }

    @Test("not joined and a failing hosted-service check: 503 naming both, while /healthz stays 200")
    func notReadyNamesFailingChecks() async throws {
        // A seed nobody listens on: the node cannot join.
        try await Self.withNode(seeds: [HostPort(host: "127.0.0.1", port: 1)]) { node, admin in
            node.addReadinessCheck(ReadinessCheck(name: "inventory.log") { .notReady("recovering the event log") })
            node.addReadinessCheck(ReadinessCheck(name: "payments.log") { .ready })
            let ready = try await HTTPGet.fetch("/readyz", from: admin)
            #expect(ready.status == 503)
            #expect(ready.json["ready"] as? Bool == false)
            #expect(ready.json["failing"] as? [String] == ["membership", "inventory.log"])
            let checks = ready.json["checks"] as? [[String: Any]] ?? []
            let reasons = Dictionary(
                uniqueKeysWithValues: checks.map { ($0["name"] as? String ?? "", $0["reason"] as? String) })
            #expect(reasons["inventory.log"] == "recovering the event log")
            #expect(reasons["membership"]??.hasPrefix("no other member is alive yet") == true)
            #expect(reasons["payments.log"] == .some(nil))

            let health = try await HTTPGet.fetch("/healthz", from: admin)
            #expect(health.status == 200)
        }
    }
}
