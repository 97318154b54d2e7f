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
        let handler: ErasedHandler =
            inline ? .inline(work) : .async { (bytes, ctx) async throws(RPCError) -> [UInt8] in try work(bytes, ctx) }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let deadline = MeshInstant.zero + .milliseconds(50)

        let ok = try await pipeline.handle(
            serverCall(
                "inventory/Get", peer: "c", roles: ["admin"], metadata: [MetadataKey.traceparent: parent],
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

    @Test func servedByATransportItTimesFromTheArrivalReadingOnlyOnTheSystemClock() throws {
        let dims = [("service", "inventory"), ("method", "Get"), ("outcome", "ok")]
        let echo: InlineHandler = { bytes, _ in Array(bytes) }
        // On another clock the transport's reading cannot be compared: the step reads its own.
        let manual = ManualClock(.zero)
        let manualMetrics = TestMetrics()
        let onManual = StandardServerMiddleware(logger: quietLogger, metrics: manualMetrics, clock: manual)
        let advancing: InlineHandler = { bytes, _ in
            manual.advance(by: .milliseconds(3))
            return Array(bytes)
        }
        let early = MeshInstant(nanoseconds: -1_000_000_000)
        _ = try onManual.serveInline(serverCall("inventory/Get", payload: [1]), arrivedAt: early, advancing).get()
        #expect(try manualMetrics.expectTimer("mesh_rpc_server_duration", dims).values == [3_000_000])
        // On the system clock, the call is timed from when it arrived.
        let systemMetrics = TestMetrics()
        let onSystem = StandardServerMiddleware(logger: quietLogger, metrics: systemMetrics)
        let arrived = SystemClock().now() - .milliseconds(40)
        _ = try onSystem.serveInline(serverCall("inventory/Get", payload: [1]), arrivedAt: arrived, echo).get()
        let values = try systemMetrics.expectTimer("mesh_rpc_server_duration", dims).values
        #expect(values.count == 1 && values[0] >= 40_000_000)
    }

    @Test func anInlineCallsScopeShadowsTheTasksOnlyWhileItRuns() async throws {
        let step = StandardServerMiddleware(logger: quietLogger)
        let outer = MeshInstant(nanoseconds: 42)
        let callDeadline = SystemClock().now() + .seconds(5)
        let seen = Recorder<MeshInstant?>()
        let started = Recorder<Task<MeshInstant?, Never>>()
        try await CallScope.withScope(deadline: outer) {
            let handler: InlineHandler = { bytes, _ in
                seen.append(CallScope.deadline)
                // A task started here does not get the inline call's scope (it lives in the thread's storage): it
                // inherits the task-local of wherever it is created, here the test's.
                started.append(Task { CallScope.deadline })
                return Array(bytes)
            }
            _ = try step.serveInline(serverCall("inventory/Get", deadline: callDeadline), handler).get()
            #expect(CallScope.deadline == outer)  // restored once the call is over
        }
        #expect(seen.all == [callDeadline])
        #expect(await started.all[0].value == outer)
        #expect(CallScope.deadline == nil)
    }
}
