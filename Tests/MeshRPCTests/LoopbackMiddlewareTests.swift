import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshTransport
import MeshWire
import NIOPosix
import Synchronization
import Testing

/// Services for the loopback tests.
private enum Inventory {
    static let reserve = MethodDescriptor<RawMessage, RawMessage>.command(service: "inventory", method: "Reserve")
    static let get = MethodDescriptor<RawMessage, RawMessage>.query(service: "inventory", method: "Get")
    /// Hop 1 → hop 2: forwards the request to `inventory/Get` on the next node.
    static let forward = MethodDescriptor<RawMessage, RawMessage>.query(service: "front", method: "Forward")
}

/// Filled in once the transport it names exists (handlers are registered before it).
private final class Late<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    func set(_ v: T) { value.withLock { $0 = v } }
    var get: T { value.withLock { $0! } }
}

/// What the last hop saw of a call.
private struct Observation: Sendable {
    var remaining: MeshDuration?
    var traceID: String?
    var inScopeDeadline: MeshInstant?
}

/// What a handler saw of its caller's trace.
private struct TraceObservation: Sendable {
    /// `ServerContext.trace`: the binary field the caller sent.
    var sent: TraceContext?
    /// The `traceparent` metadata entry, if any.
    var traceparent: String?
    /// `CallScope.trace`: this node's span.
    var bound: TraceContext?
}

@Suite("Middleware over real loopback connections")
struct LoopbackMiddlewareTests {
    @Test func theTraceTravelsInTheBinaryFieldAndTheServerContinuesIt() async throws {
        try await withEventLoopGroup { group in
            let cluster = RoleCluster()
            let seen = Recorder<TraceObservation>()
            var router = ServiceRouter()
            router.pipeline = .standard(logger: quietLogger)
            router.register(Inventory.get) { req, ctx in
                seen.append(
                    TraceObservation(
                        sent: ctx.trace, traceparent: ctx.metadata[MetadataKey.traceparent], bound: CallScope.trace))
                return req
            }
            let server = MeshTransport(
                identity: cluster.identity("s"), router: router, group: group, logger: quietLogger)
            let address = try await server.listen(on: loopback())
            let client = MeshTransport(
                identity: cluster.identity("c"), router: ServiceRouter(),
                clientPipeline: .standard(logger: quietLogger), group: group, logger: quietLogger)
            let bare = MeshTransport(
                identity: cluster.identity("bare"), router: ServiceRouter(), group: group, logger: quietLogger)

            // 1. A call made while serving one: the client middleware sends the span in scope as field 5.
            let callerSpan = TraceContext(
                traceIDHigh: 0x4bf9_2f35_77b3_4da6, traceIDLow: 0xa3ce_929d_0e0e_4736, spanID: 0x00f0_67aa_0ba9_02b7,
                flags: 1)
            let first = try await CallScope.withScope(trace: callerSpan) {
                try await client.call(Inventory.get, RawMessage([1]), at: address)
            }
            // 2. Outside any call: a new trace, still binary.
            _ = try await client.call(Inventory.get, RawMessage([2]), at: address)
            // 3. No client middleware, both forms set by the caller: field 5 wins, the text passes through.
            let binary = TraceContext(traceIDHigh: 7, traceIDLow: 8, spanID: 9, flags: 0)
            let both = CallOptions(metadata: [MetadataKey.traceparent: callerSpan.traceparent], trace: binary)
            _ = try await bare.call(Inventory.get, RawMessage([3]), at: address, options: both)
            #expect(first.bytes == [1])

            let o = seen.all
            #expect(o.count == 3)
            #expect(o[0].sent == callerSpan)
            #expect(o[0].traceparent == nil)
            let served = try #require(o[0].bound)
            #expect(served.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(served.flags == 1)
            #expect(served.spanID != callerSpan.spanID)

            let fresh = try #require(o[1].sent)
            #expect(fresh.traceID != callerSpan.traceID)
            #expect(o[1].traceparent == nil)
            #expect(o[1].bound?.traceID == fresh.traceID)
            #expect(o[1].bound?.spanID != fresh.spanID)

            #expect(o[2].sent == binary)
            #expect(o[2].traceparent == callerSpan.traceparent)
            let continued = try #require(o[2].bound)
            #expect(continued.traceIDHigh == 7 && continued.traceIDLow == 8)
            #expect(continued.flags == 0)
            #expect(continued.spanID != 9)

            await bare.shutdown()
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func theDeadlineAndTraceFollowACallAcrossTwoHops() async throws {
        try await withEventLoopGroup { group in
            let cluster = RoleCluster()
            let seen = Recorder<Observation>()
            let cancelled = Recorder<Bool>()
            var back = ServiceRouter()
            back.pipeline = .standard(logger: quietLogger)
            back.register(Inventory.get) { req, ctx in
                seen.append(
                    Observation(
                        remaining: ctx.deadline.map { $0 - SystemClock().now() },
                        traceID: CallScope.trace?.traceID, inScopeDeadline: CallScope.deadline))
                if req.bytes.first == 1 {  // work longer than anyone waits
                    do { try await Task.sleep(for: .seconds(5)) } catch {
                        cancelled.append(true)
                        throw error
                    }
                }
                return req
            }
            let c = MeshTransport(identity: cluster.identity("c"), router: back, group: group, logger: quietLogger)
            let cAddress = try await c.listen(on: loopback())

            let bTransport = Late<MeshTransport>()
            var front = ServiceRouter()
            front.pipeline = .standard(logger: quietLogger)
            front.register(Inventory.forward) { req, _ in
                // Asks for 10 s; must get only what is left of the caller's budget.
                try await bTransport.get.call(
                    Inventory.get, req, at: cAddress, options: CallOptions(timeout: .seconds(10)))
            }
            let b = MeshTransport(
                identity: cluster.identity("b"), router: front,
                clientPipeline: .standard(logger: quietLogger), group: group, logger: quietLogger)
            bTransport.set(b)
            let bAddress = try await b.listen(on: loopback())
            let a = MeshTransport(
                identity: cluster.identity("a"), router: ServiceRouter(),
                clientPipeline: .standard(logger: quietLogger), group: group, logger: quietLogger)

            let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            let options = CallOptions(timeout: .milliseconds(800), metadata: [MetadataKey.traceparent: parent])
            let reply = try await a.call(Inventory.forward, RawMessage([0]), at: bAddress, options: options)
            #expect(reply.bytes == [0])
            let first = try #require(seen.all.first)
            let remaining = try #require(first.remaining)
            #expect(remaining <= .milliseconds(800) && remaining > .zero)
            #expect(first.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(first.inScopeDeadline != nil)

            // The last hop stops working when the first caller stops waiting.
            let error = await #expect(throws: RPCError.self) {
                try await a.call(
                    Inventory.forward, RawMessage([1]), at: bAddress, options: CallOptions(timeout: .milliseconds(300)))
            }
            #expect(error?.code == .deadlineExceeded)
            for _ in 0..<100 where cancelled.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(cancelled.count == 1)
            #expect(try #require(seen.all.last?.remaining) <= .milliseconds(300))

            await a.shutdown()
            await b.shutdown()
            await c.shutdown()
        }
    }

    @Test func aRepeatedCommandIsReplayedAndAReusedKeyIsRefused() async throws {
        try await withEventLoopGroup { group in
            let cluster = RoleCluster()
            let executions = Recorder<[UInt8]>()
            var router = ServiceRouter()
            router.pipeline = .standard(logger: quietLogger)
            router.register(Inventory.reserve) { req, _ in
                let n = executions.append(req.bytes)
                return RawMessage(req.bytes + [UInt8(n)])
            }
            let server = MeshTransport(
                identity: cluster.identity("s"), router: router, group: group, logger: quietLogger)
            let address = try await server.listen(on: loopback())
            let client = MeshTransport(
                identity: cluster.identity("c"), router: ServiceRouter(),
                clientPipeline: .standard(logger: quietLogger), group: group, logger: quietLogger)
            let keyed = CallOptions(metadata: [MetadataKey.idempotencyKey: "order-17"])
            let first = try await client.call(Inventory.reserve, RawMessage([5]), at: address, options: keyed)
            let again = try await client.call(Inventory.reserve, RawMessage([5]), at: address, options: keyed)
            #expect(first.bytes == [5, 0])
            #expect(again.bytes == [5, 0])
            #expect(executions.count == 1)
            let error = await #expect(throws: RPCError.self) {
                try await client.call(Inventory.reserve, RawMessage([6]), at: address, options: keyed)
            }
            #expect(error?.code == .invalidArgument)
            // Without a key of its own, each call gets a fresh one and runs.
            _ = try await client.call(Inventory.reserve, RawMessage([5]), at: address)
            #expect(executions.count == 2)

            // A caller without client middleware must set the key itself.
            let bare = MeshTransport(
                identity: cluster.identity("bare"), router: ServiceRouter(), group: group, logger: quietLogger)
            let refused = await #expect(throws: RPCError.self) {
                try await bare.call(Inventory.reserve, RawMessage([5]), at: address)
            }
            #expect(refused?.code == .invalidArgument)
            await bare.shutdown()
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func aCallerWithoutTheRoleIsRefused() async throws {
        try await withEventLoopGroup { group in
            let cluster = RoleCluster()
            var policy = AuthorizationPolicy()
            policy.requireRoles(["inventory"], for: "inventory/*")
            var router = ServiceRouter()
            router.pipeline = .standard(logger: quietLogger, authorization: policy)
            router.registerInline(Inventory.get) { req, _ in req }
            let server = MeshTransport(
                identity: cluster.identity("s"), router: router, group: group, logger: quietLogger)
            let address = try await server.listen(on: loopback())
            let web = MeshTransport(
                identity: cluster.identity("web-1", roles: ["web"]), router: ServiceRouter(), group: group,
                logger: quietLogger)
            let worker = MeshTransport(
                identity: cluster.identity("worker-1", roles: ["inventory"]), router: ServiceRouter(), group: group,
                logger: quietLogger)
            let error = await #expect(throws: RPCError.self) {
                try await web.call(Inventory.get, RawMessage([1]), at: address)
            }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message == "inventory/Get requires one of the roles [\"inventory\"]; web-1 has [\"web\"]")
            // Roles come from the caller's certificate, verified in the handshake.
            #expect(try await worker.call(Inventory.get, RawMessage([1]), at: address).bytes == [1])
            await web.shutdown()
            await worker.shutdown()
            await server.shutdown()
        }
    }
}

@Suite("Hedging over a real connection")
struct LoopbackHedgingTests {
    static let get = MethodDescriptor<RawMessage, RawMessage>.query(service: "inventory", method: "Get")

    @Test func aSlowFirstAttemptIsHedgedAndCancelledOnTheServer() async throws {
        try await withEventLoopGroup { group in
            let cluster = RoleCluster()
            let seen = Recorder<String?>()
            let cancelled = Recorder<Int>()
            var router = ServiceRouter()
            router.pipeline = .standard(logger: quietLogger)
            router.register(Self.get) { req, ctx in
                let n = seen.append(ctx.metadata[MetadataKey.previousAttempts])
                guard n == 0 else { return RawMessage([2]) }
                do {
                    try await Task.sleep(for: .seconds(20))  // the slow first attempt: ends only by cancellation
                } catch {
                    cancelled.append(n)
                    throw error
                }
                return RawMessage([1])
            }
            let server = MeshTransport(
                identity: cluster.identity("s"), router: router, group: group, logger: quietLogger)
            let address = try await server.listen(on: loopback())
            let hedger = try QueryHedger(policy: HedgingPolicy(maxAttempts: 2, delay: .fixed(.milliseconds(5))))
            let client = MeshTransport(
                identity: cluster.identity("c"), router: ServiceRouter(),
                clientPipeline: .standard(logger: quietLogger, hedging: hedger), group: group, logger: quietLogger)

            let reply = try await client.call(Self.get, RawMessage([7]), at: address)
            #expect(reply.bytes == [2])
            // One first attempt and one hedge (under load the hedge may even reach the server first).
            #expect(seen.all.map { $0 ?? "first" }.sorted() == ["1", "first"])
            var polls = 0  // the cancel frame reaches the server after the reply reached us
            while cancelled.count == 0 && polls < 500 {
                try await Task.sleep(for: .milliseconds(10))
                polls += 1
            }
            #expect(cancelled.all == [0])
            await client.shutdown()
            await server.shutdown()
        }
    }
}
