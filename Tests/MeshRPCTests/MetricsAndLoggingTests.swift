import Logging
import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import MetricsTestKit
import Testing

@Suite("Metrics and structured logging")
struct MetricsAndLoggingTests {
    @Test func serverCallsAreCountedAndTimedPerServiceMethodAndOutcome() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock(.zero)
        let pipeline = ServerPipeline([MetricsMiddleware(factory: metrics, clock: clock), Refusing(bytes: [0xFF])])
        let handler = ErasedHandler.async { bytes, _ in
            clock.advance(by: .milliseconds(7))
            return Array(bytes)
        }
        _ = try await pipeline.handle(serverCall("inventory/Reserve", payload: [1]), handler: handler)
        _ = try await pipeline.handle(serverCall("inventory/Reserve", payload: [2]), handler: handler)
        _ = try? await pipeline.handle(serverCall("inventory/Reserve", payload: [0xFF]), handler: handler)
        let ok = [("service", "inventory"), ("method", "Reserve"), ("outcome", "ok")]
        let refused = [("service", "inventory"), ("method", "Reserve"), ("outcome", "invalidArgument")]
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", ok).totalValue == 2)
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", refused).totalValue == 1)
        #expect(try metrics.expectTimer("mesh_rpc_server_duration", ok).values == [7_000_000, 7_000_000])
        #expect(try metrics.expectTimer("mesh_rpc_server_duration", refused).values == [0])
    }

    @Test func manyMethodsAreEachCountedUnderTheirOwnName() async throws {
        let metrics = TestMetrics()
        let pipeline = ServerPipeline([MetricsMiddleware(factory: metrics, clock: ManualClock())])
        let handler = ErasedHandler.inline { bytes, _ in Array(bytes) }
        // More methods than the table compares one by one (8): the rest are found by hash.
        for round in 1...2 {
            for i in 0..<12 { _ = try await pipeline.handle(serverCall("svc\(i)/Get"), handler: handler) }
            for i in 0..<12 {
                let dims = [("service", "svc\(i)"), ("method", "Get"), ("outcome", "ok")]
                #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", dims).totalValue == Int64(round))
            }
        }
    }

    @Test func clientCallsAreCountedWithTheStatusTheyEndedWith() async throws {
        let metrics = TestMetrics()
        let sent = Recorder<ClientCall>()
        let pipeline = ClientPipeline([MetricsMiddleware(factory: metrics, clock: ManualClock())])
        let call = ClientCall(method: "cart/Get", kind: .query, peer: "p", metadata: [:], payload: [], timeout: nil)
        let terminal = recordingTerminal(sent) { n in n == 0 ? .ok : RPCStatus(code: .unavailable) }
        _ = try await pipeline.send(call, terminal: terminal)
        _ = try? await pipeline.send(call, terminal: terminal)
        let dims = { (o: String) in [("service", "cart"), ("method", "Get"), ("outcome", o)] }
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("ok")).totalValue == 1)
        #expect(try metrics.expectCounter("mesh_rpc_client_calls_total", dims("unavailable")).totalValue == 1)
    }

    @Test func everyLogLineCarriesTheTraceAndTheOutcome() async throws {
        let records = Recorder<CapturingLogHandler.Record>()
        let logger = Logger(label: "t") { _ in CapturingLogHandler(records: records) }
        let pipeline = ServerPipeline([
            TracingMiddleware(), LoggingMiddleware(logger: logger, level: .debug, failureLevel: .warning),
            Refusing(bytes: [0xFF]),
        ])
        let handler = ErasedHandler.async { bytes, _ in
            CallScope.logger(logger).info("inside the handler")
            return Array(bytes)
        }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        _ = try await pipeline.handle(
            serverCall("a/B", peer: "caller", metadata: [MetadataKey.traceparent: parent], payload: [1]),
            handler: handler)
        _ = try? await pipeline.handle(serverCall("a/B", payload: [0xFF]), handler: handler)
        let all = records.all
        #expect(all.map(\.message) == ["inside the handler", "call served", "call failed: a/B: refused"])
        #expect(all.map(\.level) == [.info, .debug, .warning])
        #expect(all[0].metadata["trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(all[1].metadata["trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(all[0].metadata["span-id"] == all[1].metadata["span-id"])
        #expect(all[1].metadata["mesh.method"] == "a/B")
        #expect(all[1].metadata["mesh.peer"] == "caller")
        #expect(all[1].metadata["outcome"] == "ok")
        #expect(all[2].metadata["outcome"] == "invalidArgument")
        #expect(all[2].metadata["trace-id"]?.count == 32)
    }
}

/// Refuses requests whose payload equals `bytes` with `invalidArgument`.
struct Refusing: ServerMiddleware {
    let bytes: [UInt8]
    func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        if Array(call.payload) == bytes { throw RPCError(.invalidArgument, "\(call.context.method): refused") }
        return try await next(call)
    }
}
