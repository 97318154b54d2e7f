import Logging
import MeshCore
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshWire
import MetricsTestKit
import Testing

@Suite("The standard client step")
struct StandardClientMiddlewareTests {
    @Test func itInheritsTheDeadlineTracesKeysCountsAndLogsLikeTheFiveSteps() async throws {
        let metrics = TestMetrics()
        let records = Recorder<CapturingLogHandler.Record>()
        var logger = Logger(label: "t") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .debug
        let clock = ManualClock(.zero)
        let sent = Recorder<ClientCall>()
        let pipeline = ClientPipeline.standard(logger: logger, metrics: metrics, clock: clock)
        let command = ClientCall(
            method: "cart/Add", kind: .command, peer: "p", metadata: [:], payload: [1], timeout: .seconds(10))
        let scoped = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let terminal = recordingTerminal(sent) { n in
            clock.advance(by: .milliseconds(4))
            return n == 0 ? .ok : RPCStatus(code: .unavailable, message: "down")
        }
        try await CallScope.withScope(deadline: MeshInstant.zero + .milliseconds(300), trace: scoped) {
            _ = try await pipeline.send(command, terminal: terminal)
            let error = await #expect(throws: RPCError.self) { try await pipeline.send(command, terminal: terminal) }
            #expect(error?.code == .unavailable)
        }
        let calls = sent.all
        #expect(calls.map(\.timeout) == [.milliseconds(300), .milliseconds(296)])
        #expect(calls.allSatisfy { $0.trace == scoped })
        #expect(calls.allSatisfy { $0.metadata[MetadataKey.traceparent] == nil })
        #expect(calls.allSatisfy { $0.metadata[MetadataKey.kind] == "command" })
        #expect(calls.allSatisfy { $0.metadata[MetadataKey.idempotencyKey]?.count == 32 })

        let dims = { (o: String) in [("service", "cart"), ("method", "Add"), ("outcome", o)] }
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("ok")).totalValue == 1)
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("unavailable")).totalValue == 1)
        #expect(try metrics.expectTimer("mesh_rpc_client_duration", dims("ok")).values == [4_000_000])

        let lines = records.all
        #expect(lines.map(\.message) == ["call returned", "call failed: down"])
        #expect(lines.map(\.level) == [.debug, .info])
        #expect(lines.map { $0.metadata["outcome"] } == ["ok", "unavailable"])
        #expect(lines.allSatisfy { $0.metadata["trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736" })
        #expect(lines.map { $0.metadata["duration-ms"] } == ["4.0", "4.0"])
    }

    @Test func withResilienceItRetriesInsideOneMeasuredCallOnItsOwnClock() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock(.zero)
        let sent = Recorder<ClientCall>()
        let noWait = RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .zero, multiplier: 1, max: .zero))
        // The resilience middleware's own clock never moves: the fused step must run it on the step's clock.
        let resilience = try ResilienceMiddleware(policy: noWait, clock: ManualClock(.zero))
        let pipeline = ClientPipeline.standard(
            logger: quietLogger, metrics: metrics, resilience: resilience, clock: clock)
        #expect(pipeline.middleware.count == 1)
        let terminal = recordingTerminal(sent) { n in
            clock.advance(by: .milliseconds(4))
            return n < 2 ? RPCStatus(code: .unavailable, message: "down") : .ok
        }
        let query = ClientCall(
            method: "cart/Get", kind: .query, peer: "p", metadata: [:], payload: [7], timeout: .seconds(1))
        let response = try await pipeline.send(query, terminal: terminal)
        #expect(response.payload == [7])
        // Each attempt waits only for what is left of the one deadline, and all carry the same trace.
        #expect(sent.all.map(\.timeout) == [.milliseconds(1_000), .milliseconds(996), .milliseconds(992)])
        let traces = Set(sent.all.map(\.trace))
        #expect(traces.count == 1 && traces.first! != nil)
        let dims = { (o: String) in [("service", "cart"), ("method", "Get"), ("outcome", o)] }
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("ok")).totalValue == 1)
        #expect(try metrics.expectTimer("mesh_rpc_client_duration", dims("ok")).values == [12_000_000])
        #expect(resilience.breakerState(peer: "p", service: "cart") == .closed)
    }

    @Test func withResilienceAnOpenBreakerFailsFastAndIsCounted() async throws {
        let metrics = TestMetrics()
        let sent = Recorder<ClientCall>()
        let resilience = try ResilienceMiddleware(
            policy: RetryPolicy(maxAttempts: 1),
            breakers: CircuitBreaker.Configuration(window: .count(2), minimumCalls: 2))
        let pipeline = ClientPipeline.standard(logger: quietLogger, metrics: metrics, resilience: resilience)
        let failing = recordingTerminal(sent) { _ in RPCStatus(code: .internal, message: "boom") }
        let query = ClientCall(
            method: "cart/Get", kind: .query, peer: "p", metadata: [:], payload: [], timeout: .seconds(1))
        for _ in 0..<2 { _ = try? await pipeline.send(query, terminal: failing) }
        let error = await #expect(throws: RPCError.self) { try await pipeline.send(query, terminal: failing) }
        #expect(error?.code == .unavailable)
        #expect(sent.count == 2)
        let dims = { (o: String) in [("service", "cart"), ("method", "Get"), ("outcome", o)] }
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("internal")).totalValue == 2)
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("unavailable")).totalValue == 1)
    }
}
