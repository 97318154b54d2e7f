import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshTransport
import MeshWire
import NIOPosix
import Testing

/// Breaker changes are logged with their reason, exported as metrics, and readable by the operator.
@Suite("breaker visibility")
struct BreakerVisibilityTests {
    static let breakers = CircuitBreaker.Configuration(
        window: .count(4), failureRateThreshold: 0.5, minimumCalls: 4, openWait: .seconds(30),
        maxOpenWait: .seconds(30))

    @Test func aDeadPeersBreakerOpensIsLoggedExportedAndFailsOwnerCallsFast() async throws {
        let records = Recorder<CapturingLogHandler.Record>()
        let logger = Logger(label: "test.router") { _ in CapturingLogHandler(records: records) }
        let metrics = CapturingMetrics()
        let transport = callerTransport("test-caller")
        var routes = ServiceRoutes()
        try routes.add(flag: "test=dead@127.0.0.1:1")  // nothing listens there: connection refused
        let router = try PeerRouter(
            transport: transport, routes: routes, configuration: RoutingConfiguration(breakers: Self.breakers, seed: 1),
            logger: logger, metrics: metrics)
        let options = CallOptions(timeout: .seconds(2))

        for i in 1...4 {
            do {
                _ = try await router.call(TestEchoService.echo, RawMessage([1]), options: options)
                Issue.record("call \(i) to a dead peer succeeded")
            } catch {
                #expect(error.code == .unavailable)
            }
            if i == 3 {
                #expect(metrics.value("mesh_breaker_failure_rate", peer: "dead") == 1)
                #expect(metrics.value("mesh_breaker_state", peer: "dead") == 0)
            }
        }
        #expect(metrics.value("mesh_breaker_state", peer: "dead") == 2)
        let opened = records.all.filter { $0.message == "peer breaker opened" }
        #expect(opened.count == 1)
        #expect(opened.first?.level == .warning)
        #expect(opened.first?.metadata["mesh.peer"] == "dead")
        #expect(opened.first?.metadata["reason"]?.contains("failure rate") == true, "\(opened)")

        // Open: a service call fails at once without dialling, naming the peer and when to retry.
        do {
            _ = try await router.call(TestEchoService.echo, RawMessage([1]), options: options)
            Issue.record("call through an open breaker succeeded")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("dead: open") && error.message.contains("retry after"), "\(error)")
        }
        // An owner-keyed call fails fast too, carrying the breaker's rejection and its retry-after.
        do {
            _ = try await router.call(TestEchoService.echo, RawMessage([1]), owner: "dead", options: options)
            Issue.record("owner call through an open breaker succeeded")
        } catch {
            #expect(error.code == .unavailable)
            let rejection = try #require(error.cause as? BreakerRejection)
            #expect(rejection.code == .open)
            #expect((rejection.retryAfter ?? .zero) > .seconds(20))
        }
        do {
            _ = try await router.call(TestEchoService.echo, RawMessage([1]), owner: "nobody", options: options)
            Issue.record("owner call to an unknown owner succeeded")
        } catch {
            #expect(error.code == .unavailable && error.message.contains("no route to owner nobody"))
        }
        #expect((metrics.value("mesh_breaker_rejected_total", peer: "dead") ?? 0) >= 2)

        let status = try #require(router.statuses().first)
        #expect(status.peer == "dead" && status.state == "open" && status.failures == 4 && status.calls == 4)
        #expect(status.reason.contains("failure rate"))

        // Membership's verdicts are visible the same way.
        router.markUnavailable(peer: "dead", reason: "declared dead by gossip")
        #expect(metrics.value("mesh_breaker_state", peer: "dead") == 3)
        #expect(records.all.last?.metadata["reason"] == "declared dead by gossip")
        await transport.shutdown()
    }

    @Test func theBreakersReportSurvivesTheWire() throws {
        let report = BreakersReport(
            node: "n1",
            peers: [
                PeerBreakerStatus(
                    peer: "echo-2", state: "open", inState: .milliseconds(1500), reason: "failure rate 60% >= 50%",
                    failureRate: 0.6, slowCallRate: 0.125, rejected: 42, callsInWindow: 10, outstanding: 1,
                    latency: .microseconds(2500), calls: 100, failures: 7),
                PeerBreakerStatus(
                    peer: "echo-1", state: "closed", inState: .zero, reason: "", failureRate: 0, slowCallRate: 0,
                    rejected: 0, callsInWindow: 0, outstanding: 0, latency: .zero, calls: 0, failures: 0),
            ])
        #expect(try BreakersReport(decoding: report.encoded()[...]) == report)
    }
}
