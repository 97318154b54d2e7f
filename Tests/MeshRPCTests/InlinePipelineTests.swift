import Logging
import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

/// A user middleware with only the async form.
private struct AsyncOnly: ServerMiddleware {
    func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        try await next(call)
    }
}

@Suite("Inline handlers behind the standard server pipeline")
struct InlinePipelineTests {
    /// An inline handler that records the scope it runs in and echoes the payload.
    static func scopeRecordingHandler(_ traces: Recorder<TraceContext?>, _ deadlines: Recorder<MeshInstant?>)
        -> InlineHandler
    {
        { bytes, _ in
            traces.append(CallScope.trace)
            deadlines.append(CallScope.deadline)
            return Array(bytes)
        }
    }

    @Test func theStandardPipelineServesAQueryInlineWithTraceAndDeadlineInScope() throws {
        let clock = ManualClock(.zero)
        let pipeline = ServerPipeline.standard(logger: quietLogger, clock: clock)
        #expect(pipeline.runsInline)
        let traces = Recorder<TraceContext?>()
        let deadlines = Recorder<MeshInstant?>()
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let deadline = MeshInstant.zero + .milliseconds(50)
        let call = serverCall(metadata: [MetadataKey.traceparent: parent], deadline: deadline, payload: [5])
        let result = try #require(pipeline.handleInline(call, handler: Self.scopeRecordingHandler(traces, deadlines)))
        #expect(try result.get().payload == [5])
        #expect(traces.all.first??.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(traces.all.first??.spanID != 0x00f0_67aa_0ba9_02b7)
        #expect(deadlines.all == [deadline])
        #expect(CallScope.trace == nil && CallScope.deadline == nil)
    }

    @Test func inlineRefusalsMatchTheAsyncPath() throws {
        let clock = ManualClock(MeshInstant.zero + .seconds(1))
        var policy = AuthorizationPolicy()
        policy.requireRoles(["admin"], for: "inventory/*")
        let pipeline = ServerPipeline.standard(logger: quietLogger, authorization: policy, clock: clock)
        let traces = Recorder<TraceContext?>()
        let deadlines = Recorder<MeshInstant?>()
        let handler = Self.scopeRecordingHandler(traces, deadlines)

        let denied = try #require(pipeline.handleInline(serverCall(roles: ["reader"]), handler: handler))
        if case .failure(let e) = denied {
            #expect(e.code == .permissionDenied)
        } else {
            Issue.record("expected a refusal")
        }

        let expired = try #require(
            pipeline.handleInline(
                serverCall(roles: ["admin"], deadline: MeshInstant.zero + .milliseconds(10)), handler: handler))
        if case .failure(let e) = expired {
            #expect(e.code == .deadlineExceeded)
        } else {
            Issue.record("expected a failure")
        }
        #expect(traces.count == 0)
    }

    @Test func aCommandOrAnAsyncOnlyMiddlewareTakesTheAsyncPath() async throws {
        let pipeline = ServerPipeline.standard(logger: quietLogger)
        let handler: InlineHandler = { bytes, _ in Array(bytes) }
        #expect(
            pipeline.handleInline(
                serverCall(kind: .command, metadata: [MetadataKey.idempotencyKey: "k"]), handler: handler) == nil)

        var withUserStep = pipeline
        withUserStep.append(AsyncOnly())
        #expect(!withUserStep.runsInline)
        #expect(withUserStep.handleInline(serverCall(), handler: handler) == nil)
        // Both still serve the call through `handle`.
        let replay = try await pipeline.handle(
            serverCall(kind: .command, metadata: [MetadataKey.idempotencyKey: "k"], payload: [3]),
            handler: .inline(handler))
        #expect(replay.payload == [3])
        #expect(try await withUserStep.handle(serverCall(payload: [4]), handler: .inline(handler)).payload == [4])
    }
}
