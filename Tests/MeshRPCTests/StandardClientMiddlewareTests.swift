import Logging
import MeshCore
import MeshRPC
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
        let command = ClientCall(method: "cart/Add", kind: .command, peer: "p", metadata: [:], payload: [1], timeout: .seconds(10))
        let scoped = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let terminal = recordingTerminal(sent) { n in
            clock.advance(by: .milliseconds(4))
            return n == 0 ? .ok : RPCStatus(code: .unavailable, message: "down")
        }
        try await CallScope.$trace.withValue(scoped) {
            try await CallScope.$deadline.withValue(MeshInstant.zero + .milliseconds(300)) {
                _ = try await pipeline.send(command, terminal: terminal)
                let error = await #expect(throws: RPCError.self) { try await pipeline.send(command, terminal: terminal) }
                #expect(error?.code == .unavailable)
            }
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
}
