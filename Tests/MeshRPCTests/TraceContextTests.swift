import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

@Suite("W3C trace context")
struct TraceContextTests {
    static let sample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesAndFormatsTheW3CExampleExactly() throws {
        let t = try #require(TraceContext(traceparent: Self.sample))
        #expect(t.traceIDHigh == 0x4bf9_2f35_77b3_4da6)
        #expect(t.traceIDLow == 0xa3ce_929d_0e0e_4736)
        #expect(t.spanID == 0x00f0_67aa_0ba9_02b7)
        #expect(t.flags == 1)
        #expect(t.traceparent == Self.sample)
    }

    @Test(arguments: [
        "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // unknown version
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // too long
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ])
    func rejectsMalformedValues(_ value: String) {
        #expect(TraceContext(traceparent: value) == nil)
    }

    @Test func aChildKeepsTheTraceAndChangesTheSpan() throws {
        var rng = SeededRandom(seed: 7)
        let root = TraceContext.newTrace(using: &rng)
        let child = root.child(using: &rng)
        #expect(child.traceID == root.traceID)
        #expect(child.spanID != root.spanID)
        #expect(TraceContext(traceparent: child.traceparent) == child)
    }

    @Test func serverContinuesTheCallersTraceWithItsOwnSpanAndBindsIt() async throws {
        let seen = Recorder<TraceContext?>()
        let handler = ErasedHandler.async { _, _ in
            seen.append(CallScope.trace)
            return []
        }
        let call = serverCall(metadata: [MetadataKey.traceparent: Self.sample])
        _ = try await ServerPipeline([TracingMiddleware()]).handle(call, handler: handler)
        let bound = try #require(seen.all.first ?? nil)
        #expect(bound.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(bound.spanID != 0x00f0_67aa_0ba9_02b7)
        #expect(CallScope.trace == nil)
    }

    @Test func serverStartsATraceWhenTheCallerSentNoneOrGarbage() async throws {
        let seen = Recorder<TraceContext?>()
        let handler = ErasedHandler.async { _, _ in
            seen.append(CallScope.trace)
            return []
        }
        _ = try await ServerPipeline([TracingMiddleware()]).handle(
            serverCall(metadata: [MetadataKey.traceparent: "garbage"]), handler: handler)
        #expect(seen.all.first??.traceID.count == 32)
    }

    @Test func callsServedOnManyThreadsAtOnceGetDistinctTracesAndSpans() async throws {
        // Ids come from per-thread counters: calls served at the same time on different threads must still differ.
        let seen = Recorder<TraceContext?>()
        let pipeline = ServerPipeline([TracingMiddleware()])
        let caller = TraceContext(traceIDHigh: 7, traceIDLow: 7, spanID: 7)
        await withTaskGroup(of: Void.self) { tasks in
            for task in 0..<8 {
                tasks.addTask {
                    for _ in 0..<500 {
                        _ = pipeline.handleInline(serverCall(trace: task.isMultiple(of: 2) ? caller : nil)) { _, _ in
                            seen.append(CallScope.trace)
                            return []
                        }
                    }
                }
            }
        }
        let traces = seen.all.compactMap { $0 }
        #expect(traces.count == 4_000)
        #expect(Set(traces.map(\.spanID)).count == 4_000)
        let started = traces.filter { $0.traceIDHigh != 7 || $0.traceIDLow != 7 }
        #expect(started.count == 2_000)
        #expect(Set(started.map(\.traceID)).count == 2_000)
    }

    @Test func serverContinuesTheBinaryTraceAndPrefersItToATraceparentEntry() async throws {
        let seen = Recorder<TraceContext?>()
        let handler = ErasedHandler.async { _, _ in
            seen.append(CallScope.trace)
            return []
        }
        let binary = TraceContext(traceIDHigh: 0x1111, traceIDLow: 0x2222, spanID: 0x3333, flags: 0)
        let pipeline = ServerPipeline([TracingMiddleware()])
        _ = try await pipeline.handle(serverCall(trace: binary), handler: handler)
        _ = try await pipeline.handle(
            serverCall(metadata: [MetadataKey.traceparent: Self.sample], trace: binary), handler: handler)
        for bound in seen.all {
            let bound = try #require(bound)
            #expect(bound.traceIDHigh == 0x1111 && bound.traceIDLow == 0x2222)
            #expect(bound.flags == 0)
            #expect(bound.spanID != 0x3333)
        }
        #expect(seen.count == 2)
    }

    @Test func clientSendsTheCurrentTraceOrANewOneAndKeepsAnExplicitOne() async throws {
        let sent = Recorder<ClientCall>()
        let pipeline = ClientPipeline([TracingMiddleware()])
        let call = ClientCall(method: "s/m", kind: .query, peer: "p", metadata: [:], payload: [], timeout: nil)
        let scoped = try #require(TraceContext(traceparent: Self.sample))
        _ = try await CallScope.withScope(trace: scoped) {
            try await pipeline.send(call, terminal: recordingTerminal(sent))
        }
        _ = try await pipeline.send(call, terminal: recordingTerminal(sent))
        var explicitText = call
        explicitText.metadata[MetadataKey.traceparent] = "00-11111111111111111111111111111111-2222222222222222-00"
        var explicitBinary = call
        explicitBinary.trace = TraceContext(traceIDHigh: 3, traceIDLow: 4, spanID: 5, flags: 0)
        _ = try await CallScope.withScope(trace: scoped) {
            _ = try await pipeline.send(explicitText, terminal: recordingTerminal(sent))
            return try await pipeline.send(explicitBinary, terminal: recordingTerminal(sent))
        }
        let calls = sent.all
        #expect(calls.count == 4)
        #expect(calls[0].trace == scoped)
        let fresh = try #require(calls[1].trace)
        #expect(fresh.traceID != scoped.traceID)
        #expect(fresh.traceID.count == 32)
        // The text form is no longer written; a caller's own `traceparent` is kept and nothing is added.
        #expect(calls[0...1].allSatisfy { $0.metadata[MetadataKey.traceparent] == nil })
        #expect(calls[2].metadata[MetadataKey.traceparent] == explicitText.metadata[MetadataKey.traceparent])
        #expect(calls[2].trace == nil)
        #expect(calls[3].trace == explicitBinary.trace)
        #expect(calls[3].metadata[MetadataKey.traceparent] == nil)
    }
}
