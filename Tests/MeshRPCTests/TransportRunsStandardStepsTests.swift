import MeshCore
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshTransport
import MeshWire
import MetricsTestKit
import Testing

/// The transport runs a pipeline made of one standard step itself (`soleStandardStep`), around its own sends and
/// around the handler's task, instead of through the steps' `intercept`: these tests pin that it behaves the same.
@Suite("The standard steps as the transport runs them, over real connections")
struct TransportRunsStandardStepsTests {
    static let get = MethodDescriptor<RawMessage, RawMessage>.query(service: "inventory", method: "Get")

    @Test func retriesKeepOneDeadlineAndTraceAndEachEndCountsWhatItSaw() async throws {
        let serverMetrics = TestMetrics()
        let clientMetrics = TestMetrics()
        let seen = Recorder<ServerContext>()
        let scoped = Recorder<TraceContext?>()
        var router = ServiceRouter()
        router.pipeline = .standard(logger: quietLogger, metrics: serverMetrics)
        #expect(router.pipeline.soleStandardStep != nil)
        router.register(Self.get) { req, ctx in  // an async handler: its task is started by the transport
            seen.append(ctx)
            scoped.append(CallScope.trace)
            guard seen.count > 2 else { throw RPCError(.unavailable, "not yet") }
            return req
        }
        let noWait = RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .zero, multiplier: 1, max: .zero))
        let pipeline = ClientPipeline.standard(
            logger: quietLogger, metrics: clientMetrics, resilience: try ResilienceMiddleware(policy: noWait))
        #expect(pipeline.soleStandardStep != nil)
        let reply = try await withServerAndClient(router: router, clientPipeline: pipeline) { client, address in
            try await client.call(Self.get, RawMessage([7]), at: address, options: CallOptions(timeout: .seconds(5)))
        }
        #expect(reply.bytes == [7])

        let attempts = seen.all
        #expect(attempts.count == 3)
        // One trace for every attempt; the server's span in scope is a child of it.
        let traceIDs = Set(attempts.map { $0.trace?.traceID })
        #expect(traceIDs.count == 1 && traceIDs.first! != nil)
        #expect(scoped.all.allSatisfy { $0?.traceID == attempts[0].trace?.traceID })
        #expect(Set(scoped.all.map { $0?.spanID }).count == 3)
        // Each attempt has only what is left of the one deadline.
        let deadlines = attempts.compactMap(\.deadline)
        #expect(deadlines.count == 3)
        #expect(zip(deadlines, deadlines.dropFirst()).allSatisfy { $0.0 >= $0.1 - .milliseconds(50) })

        let dims = { (o: String) in [("service", "inventory"), ("method", "Get"), ("outcome", o)] }
        #expect(try clientMetrics.expectCounter("mesh_rpc_client_calls_total", dims("ok")).totalValue == 1)
        #expect((try? clientMetrics.expectCounter("mesh_rpc_client_calls_total", dims("unavailable"))) == nil)
        #expect(try serverMetrics.expectCounter("mesh_rpc_server_calls_total", dims("unavailable")).totalValue == 2)
        #expect(try serverMetrics.expectCounter("mesh_rpc_server_calls_total", dims("ok")).totalValue == 1)
    }

    @Test func anInlineHandlerRunsWithTheCallsScopeAndIsCounted() async throws {
        let metrics = TestMetrics()
        let seen = Recorder<ServerContext>()
        let scoped = Recorder<CallScope.Snapshot>()
        var router = ServiceRouter()
        router.pipeline = .standard(logger: quietLogger, metrics: metrics)
        router.registerInline(Self.get) { req, ctx in  // runs on the event loop, no task
            seen.append(ctx)
            scoped.append(CallScope.Snapshot(deadline: CallScope.deadline, trace: CallScope.trace))
            return req
        }
        let reply = try await withServerAndClient(router: router, clientPipeline: .standard(logger: quietLogger)) {
            client, address in
            try await client.call(Self.get, RawMessage([3]), at: address, options: CallOptions(timeout: .seconds(5)))
        }
        #expect(reply.bytes == [3])
        let ctx = try #require(seen.all.first)
        let inScope = try #require(scoped.all.first)
        #expect(inScope.deadline == ctx.deadline && ctx.deadline != nil)
        #expect(inScope.trace?.traceID == ctx.trace?.traceID && ctx.trace != nil)
        #expect(inScope.trace?.spanID != ctx.trace?.spanID)  // this node's own span
        let dims = [("service", "inventory"), ("method", "Get"), ("outcome", "ok")]
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", dims).totalValue == 1)
    }

    @Test func aRefusedCallIsAnsweredAndCountedWithoutStartingItsHandler() async throws {
        let metrics = TestMetrics()
        var policy = AuthorizationPolicy()
        policy.requireRoles(["inventory"], for: "inventory/*")
        let ran = Recorder<Bool>()
        var router = ServiceRouter()
        router.pipeline = .standard(logger: quietLogger, metrics: metrics, authorization: policy)
        router.register(Self.get) { req, _ in
            ran.append(true)
            return req
        }
        let error = await #expect(throws: RPCError.self) {
            try await withServerAndClient(
                router: router, client: "web-1", roles: ["web"], clientPipeline: .standard(logger: quietLogger)
            ) { client, address in
                try await client.call(Self.get, RawMessage([1]), at: address)
            }
        }
        #expect(error?.code == .permissionDenied)
        #expect(ran.count == 0)
        let dims = [("service", "inventory"), ("method", "Get"), ("outcome", "permissionDenied")]
        #expect(try metrics.expectCounter("mesh_rpc_server_calls_total", dims).totalValue == 1)
    }
}

extension CallScope {
    /// What a handler saw in scope.
    struct Snapshot: Sendable {
        var deadline: MeshInstant?
        var trace: TraceContext?
    }
}
