import Logging
import MeshCore
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The echo benchmark with empty pipelines vs the full default pipelines on both ends.
/// Runs only with `MESH_BENCH=1` (prints numbers; asserts only that every call echoed).
@Suite("Pipeline cost benchmark", .enabled(if: getenv("MESH_BENCH") != nil))
struct PipelineCostBenchmark {
    static let inlineEcho = MethodDescriptor<RawMessage, RawMessage>.query(service: "echo", method: "Inline")
    static let asyncEcho = MethodDescriptor<RawMessage, RawMessage>.query(service: "echo", method: "Async")
    /// Calls per measured run (MESH_BENCH_CALLS; default 40,000).
    static let calls = Int(getenv("MESH_BENCH_CALLS").map { String(cString: $0) } ?? "40000") ?? 40_000
    static let inFlight = 64

    @Test func echoCallsPerSecondWithEmptyAndDefaultPipelines() async throws {
        // The server and the client each on an event loop of their own (one thread each), placed the same way in every
        // run: sharing one 2-thread group, the two connections landed on one loop in some runs and on two in others,
        // which made calls/s bimodal (±20% between runs of the same code).
        try await withEventLoopGroups { serverGroup, group in
            var logger = Logger(label: "bench")
            logger.logLevel = .info
            var results: [String: [Double]] = [:]
            var cpu: [String: [Double]] = [:]
            for round in 0..<Self.rounds {
                for full in Self.pipelines {
                    for method in Self.methods {
                        let (rate, cpuPerCall) = try await Self.run(
                            server: serverGroup, client: group, method: method, full: full, logger: logger)
                        let name = "\(method.method) \(full ? "default" : "empty")"
                        results[name, default: []].append(rate)
                        cpu[name, default: []].append(cpuPerCall)
                        print("round \(round) \(name): \(Int(rate)) calls/s, \(Self.micros(cpuPerCall)) µs CPU/call")
                    }
                }
            }
            for method in Self.methods.map(\.method) where Self.pipelines.count == 2 {
                let empty = results["\(method) empty"]!.sorted()
                let full = results["\(method) default"]!.sorted()
                for (label, e, f) in [
                    ("median", empty[empty.count / 2], full[full.count / 2]), ("best", empty.last!, full.last!),
                ] {
                    let permille = Int((f / e * 1000).rounded())
                    print(
                        "BENCH \(method) echo \(label) of \(Self.rounds): empty \(Int(e)) calls/s, default \(Int(f)) calls/s, "
                            + "default/empty = \(permille / 10).\(permille % 10) %")
                }
                // Each round runs both back to back: the median of the rounds' own ratios is the least disturbed by a
                // machine whose speed drifts between rounds.
                let paired = zip(results["\(method) empty"]!, results["\(method) default"]!).map { $1 / $0 }.sorted()
                let pairedPermille = Int((paired[paired.count / 2] * 1000).rounded())
                print(
                    "BENCH \(method) echo median of the \(Self.rounds) rounds' default/empty = \(pairedPermille / 10).\(pairedPermille % 10) %"
                )
                // CPU per call (both ends, this process) is what the ratio comes down to on a saturated machine, and
                // is less disturbed than calls/s by other load on a shared machine.
                let e = cpu["\(method) empty"]!.sorted()[Self.rounds / 2]
                let f = cpu["\(method) default"]!.sorted()[Self.rounds / 2]
                let permille = Int((e / f * 1000).rounded())
                print(
                    "BENCH \(method) echo CPU/call median of \(Self.rounds): empty \(Self.micros(e)) µs, default \(Self.micros(f)) µs, "
                        + "empty/default = \(permille / 10).\(permille % 10) %")
            }
            if Self.pipelines.count == 2 { try await Self.pipelineOnly(logger: logger) }
        }
    }

    /// MESH_BENCH_METHOD=Inline or Async: run one handler kind only (for profiling one path).
    static let methods =
        switch getenv("MESH_BENCH_METHOD").map({ String(cString: $0) }) {
        case "Inline": [inlineEcho]
        case "Async": [asyncEcho]
        default: [inlineEcho, asyncEcho]
        }

    /// MESH_BENCH_ONLY=empty or default: run one kind of pipeline only (for profiling one side).
    static let pipelines: [Bool] =
        switch getenv("MESH_BENCH_ONLY").map({ String(cString: $0) }) {
        case "empty": [false]
        case "default": [true]
        default: [false, true]
        }
    static func micros(_ seconds: Double) -> String { String(Double(Int(seconds * 1e8)) / 100) }

    /// User + system CPU seconds this process has used (`getrusage`).
    static func processCPU() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    static let side = getenv("MESH_BENCH_SIDE").map { String(cString: $0) } ?? "both"
    static let rounds = Int(getenv("MESH_BENCH_ROUNDS").map { String(cString: $0) } ?? "9") ?? 9

    /// The middleware alone, no sockets: ns per call through the full default pipelines vs empty ones.
    static func pipelineOnly(logger: Logger) async throws {
        var policy = AuthorizationPolicy()
        policy.requireRoles(["admin"], for: "admin/*")
        let server = ServerPipeline.standard(logger: logger, authorization: policy)
        let client = ClientPipeline.standard(logger: logger, resilience: try ResilienceMiddleware())
        let handler = ErasedHandler.inline { bytes, _ in Array(bytes) }
        let call = serverCall("echo/Inline", payload: Array(repeating: 0xAB, count: 64))
        let clientCall = ClientCall(
            method: "echo/Inline", kind: .query, peer: "server", metadata: [:], payload: [1], timeout: .seconds(10))
        let terminal: ClientTerminal = { c async throws(RPCError) -> ResponseHead in
            ResponseHead(status: .ok, payload: c.payload)
        }
        let n = 200_000
        let clock = ContinuousClock()
        func nanos(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
        }
        for (name, s, c) in [("empty", ServerPipeline(), ClientPipeline()), ("default", server, client)] {
            var t = clock.now
            for _ in 0..<n { _ = try await s.handle(call, handler: handler) }
            let serverNs = nanos(clock.now - t) / Double(n)
            t = clock.now
            for _ in 0..<n { _ = try await c.send(clientCall, terminal: terminal) }
            let clientNs = nanos(clock.now - t) / Double(n)
            print("BENCH pipeline only, \(name): server \(Int(serverNs)) ns/call, client \(Int(clientNs)) ns/call")
        }
        // The standard steps as the transport runs them (`soleStandardStep`): around the handler and around each send.
        let serverStep = try #require(server.soleStandardStep)
        let clientStep = try #require(client.soleStandardStep)
        let echo: InlineHandler = { bytes, _ in Array(bytes) }
        var t = clock.now
        for _ in 0..<n { _ = try serverStep.serveInline(call, echo).get() }
        let fusedServerNs = nanos(clock.now - t) / Double(n)
        t = clock.now
        for _ in 0..<n {
            var attempts = try clientStep.begin(clientCall)
            let response = ResponseHead(status: .ok, payload: attempts.call.payload)
            guard clientStep.finish(&attempts, .success(response)) == nil else {
                throw RPCError(.internal, "an ok call was retried")
            }
        }
        let fusedClientNs = nanos(clock.now - t) / Double(n)
        print(
            "BENCH pipeline only, default as the transport runs it: server \(Int(fusedServerNs)) ns/call, "
                + "client \(Int(fusedClientNs)) ns/call")
        // Each middleware alone (the standard pipelines fuse several of them into one step).
        let serverSteps: [any ServerMiddleware] =
            [
                TracingMiddleware(), MetricsMiddleware(), LoggingMiddleware(logger: logger), DeadlineMiddleware(),
                AuthorizationMiddleware(policy), IdempotencyMiddleware(),
            ] + server.middleware
        for m in serverSteps {
            let p = ServerPipeline([m])
            let t = clock.now
            for _ in 0..<n { _ = try await p.handle(call, handler: handler) }
            print("BENCH   server \(type(of: m)): \(Int(nanos(clock.now - t) / Double(n))) ns/call")
        }
        // The caller's trace as the server receives it: the text entry (parsed per call) or the binary field.
        let parent = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        let tracing = ServerPipeline([TracingMiddleware()])
        for (name, traced) in [
            ("traceparent entry", serverCall("echo/Inline", metadata: [MetadataKey.traceparent: parent.traceparent])),
            ("binary trace", serverCall("echo/Inline", trace: parent)),
        ] {
            let t = clock.now
            for _ in 0..<n { _ = try await tracing.handle(traced, handler: handler) }
            print("BENCH   server TracingMiddleware, \(name): \(Int(nanos(clock.now - t) / Double(n))) ns/call")
        }
        // The request head on the wire, encoded and decoded, with the trace as text metadata or binary.
        let payload = [UInt8](repeating: 0xAB, count: 64)
        for (name, head) in [
            (
                "traceparent entry",
                RequestHead(
                    method: "echo/Inline", metadata: [MetadataKey.traceparent: parent.traceparent], payload: payload)
            ),
            ("binary trace", RequestHead(method: "echo/Inline", trace: parent, payload: payload)),
        ] {
            var w = PayloadWriter(capacity: 256)
            let t = clock.now
            for _ in 0..<n {
                w.removeAll()
                head.encode(to: &w)
                let decoded = try RequestHead(decoding: w.bytes[...])
                guard decoded.payload.count == 64 else { throw RPCError(.dataLoss, "head did not round-trip") }
            }
            print(
                "BENCH   RequestHead encode+decode, \(name) (\(w.bytes.count) B): \(Int(nanos(clock.now - t) / Double(n))) ns/call"
            )
        }
        let clientSteps: [any ClientMiddleware] =
            [
                DeadlineMiddleware(), TracingMiddleware(), CommandKeyMiddleware(), MetricsMiddleware(),
                LoggingMiddleware(logger: logger),
            ] + client.middleware
        for m in clientSteps {
            let p = ClientPipeline([m])
            let t = clock.now
            for _ in 0..<n { _ = try await p.send(clientCall, terminal: terminal) }
            print("BENCH   client \(type(of: m)): \(Int(nanos(clock.now - t) / Double(n))) ns/call")
        }
    }

    static func run(
        server serverGroup: MultiThreadedEventLoopGroup, client group: MultiThreadedEventLoopGroup,
        method: MethodDescriptor<RawMessage, RawMessage>, full: Bool, logger: Logger
    ) async throws -> (callsPerSecond: Double, cpuPerCall: Double) {
        let cluster = RoleCluster()
        var router = ServiceRouter()
        router.registerInline(inlineEcho) { req, _ in req }
        router.register(asyncEcho) { req, _ in req }
        var clientPipeline = ClientPipeline()
        if full && !side.hasPrefix("wire-") {
            var policy = AuthorizationPolicy()
            // A rule that does not match echo: the lookups still run.
            policy.requireRoles(["admin"], for: "admin/*")
            // MESH_BENCH_SIDE=server, client, client-standard or client-resilience: the default pipeline (or a
            // part of it) on that end only, an ablation. MESH_BENCH_SIDE=no-resilience: both ends as `standard`
            // makes them by default, i.e. without the client's breaker and retries.
            if !side.hasPrefix("client") { router.pipeline = .standard(logger: logger, authorization: policy) }
            if side != "server" { clientPipeline = .standard(logger: logger, resilience: try ResilienceMiddleware()) }
            if side == "client-standard" || side == "no-resilience" { clientPipeline = .standard(logger: logger) }
            if side == "client-resilience" { clientPipeline = ClientPipeline([try ResilienceMiddleware()]) }
            if side == "client-passthrough" { clientPipeline = ClientPipeline([PassThrough()]) }
            if side == "client-tracing" { clientPipeline = ClientPipeline([TracingMiddleware()]) }
            if side == "client-metrics" { clientPipeline = ClientPipeline([MetricsMiddleware()]) }
        }
        let server = MeshTransport(
            identity: cluster.identity("server"), router: router, group: serverGroup, logger: quietLogger)
        let address = try await server.listen(on: loopback())
        let client = MeshTransport(
            identity: cluster.identity("client", roles: ["bench"]), router: ServiceRouter(),
            clientPipeline: clientPipeline, group: group, logger: quietLogger)
        let connection = try await client.connection(to: address)
        let payload = RawMessage(Array(repeating: 0xAB, count: 64))
        // MESH_BENCH_SIDE=wire-metadata: empty pipelines, but every call carries a traceparent-sized entry;
        // wire-trace: the same trace context in the binary field (RequestHead field 5) instead.
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let options =
            switch (full, side) {
            case (true, "wire-metadata"): CallOptions(metadata: [MetadataKey.traceparent: traceparent])
            case (true, "wire-trace"): CallOptions(trace: TraceContext(traceparent: traceparent))
            default: CallOptions.default
            }
        func burst(_ n: Int) async throws {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<inFlight {
                    tasks.addTask {
                        for _ in 0..<(n / inFlight) {
                            let r = try await connection.call(method, payload, options: options)
                            guard r.bytes.count == 64 else { throw RPCError(.dataLoss, "echo changed the payload") }
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        try await burst(4_000)  // warm up
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = processCPU()
        try await burst(calls)
        let elapsed = clock.now - start
        let cpuPerCall = (processCPU() - cpuStart) / Double(calls)
        await client.shutdown()
        await server.shutdown()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(calls) / seconds, cpuPerCall)
    }
}

/// A client middleware that does nothing: the cost of having a client pipeline at all.
private struct PassThrough: ClientMiddleware {
    func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead { try await next(call) }
}
