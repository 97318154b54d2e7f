import Logging
import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import MetricsTestKit
import Testing

@Suite("The standard server step")
struct StandardServerMiddlewareTests {
    @Test(arguments: [false, true])
    func itTracesTimesCountsLogsAndChecksLikeTheSeparateSteps(inline: Bool) async throws {
        let metrics = TestMetrics()
        let records = Recorder<CapturingLogHandler.Record>()
        var logger = Logger(label: "t") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .debug
        let clock = ManualClock(.zero)
        var policy = AuthorizationPolicy()
        policy.requireRoles(["admin"], for: "inventory/*")
        let pipeline = ServerPipeline.standard(logger: logger, metrics: metrics, authorization: policy, clock: clock)
        let seen = Recorder<String>()
        let work: InlineHandler = { bytes, _ in
            seen.append("\(CallScope.trace?.traceID ?? "-") \(CallScope.deadline.map { "\($0)" } ?? "-")")
            clock.advance(by: .milliseconds(3))
            return Array(bytes)
        }
        let handler: ErasedHandler = inline ? .inline(work) : .async { (bytes, ctx) async throws(RPCError) -> [UInt8] in try work(bytes, ctx) }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let deadline = MeshInstant.zero + .milliseconds(50)

        let ok = try await pipeline.handle(
            serverCall("inventory/Get", peer: "c", roles: ["admin"], metadata: [MetadataKey.traceparent: parent],
                       deadline: deadline, payload: [1]), handler: handler)
        #expect(ok.payload == [1])
        let denied = await #expect(throws: RPCError.self) {
            try await pipeline.handle(serverCall("inventory/Get", peer: "c", roles: ["reader"]), handler: handler)
        }
        #expect(denied?.code == .permissionDenied)

        #expect(seen.all == ["4bf92f3577b34da6a3ce929d0e0e4736 \(deadline)"])
        let dims = { (o: String) in [("service", "inventory"), ("method", "Get"), ("outcome", o)] }
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", dims("ok")).totalValue == 1)
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", dims("permissionDenied")).totalValue == 1)
        #expect(try metrics.expectTimer("mesh_rpc_server_duration", dims("ok")).values == [3_000_000])
        let lines = records.all
        #expect(lines.map(\.message).first == "call served")
        #expect(lines.map(\.level) == [.debug, .info])
        #expect(lines.map { $0.metadata["outcome"] } == ["ok", "permissionDenied"])
        #expect(lines[0].metadata["trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(lines[1].metadata["trace-id"]?.count == 32)
        #expect(lines.map { $0.metadata["mesh.peer"] } == ["c", "c"])
    }
}
