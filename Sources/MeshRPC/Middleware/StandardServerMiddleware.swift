import CoreMetrics
import Logging
import MeshCore

/// The standard server steps in one middleware: tracing, metrics, logging, deadline, the checks
/// (authorization, validation), then command idempotency — exactly what `TracingMiddleware`,
/// `MetricsMiddleware`, `LoggingMiddleware`, `DeadlineMiddleware`, the checks and `IdempotencyMiddleware` do in
/// that order, with one step instead of several and one pair of clock readings shared by metrics and logging
/// (what `ServerPipeline.standard` uses). Runs inline too, except commands when idempotency is on.
public struct StandardServerMiddleware: InlineServerMiddleware {
    let metrics: MetricsMiddleware
    let logging: LoggingMiddleware
    let deadline: DeadlineMiddleware
    let checks: [any CheckingServerMiddleware]
    let idempotency: IdempotencyMiddleware?
    let clock: any MeshClock

    public init(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        checks: [any CheckingServerMiddleware] = [],
        idempotency: IdempotencyMiddleware? = nil,
        clock: any MeshClock = SystemClock()
    ) {
        self.metrics = MetricsMiddleware(factory: metrics, clock: clock)
        self.logging = LoggingMiddleware(logger: logger, clock: clock)
        self.deadline = DeadlineMiddleware(clock: clock)
        self.checks = checks
        self.idempotency = idempotency
        self.clock = clock
    }

    public func runsInline(_ call: ServerCall) -> Bool { idempotency?.runsInline(call) ?? true }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        try await CallScope.with(trace: TracingMiddleware.span(for: call)) { () async throws(RPCError) in
            let start = clock.now()
            do throws(RPCError) {
                let response = try await deadline.serve(call) { () async throws(RPCError) in
                    try check(call)
                    guard let idempotency else { return try await next(call) }
                    return try await idempotency.intercept(call, next: next)
                }
                finished(call, nil, since: start)
                return response
            } catch {
                finished(call, error, since: start)
                throw error
            }
        }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try CallScope.withInline(trace: TracingMiddleware.span(for: call)) { () throws(RPCError) in
            let start = clock.now()
            do throws(RPCError) {
                let response = try deadline.serveInline(call) { () throws(RPCError) in
                    try check(call)
                    guard let idempotency else { return try next(call) }
                    return try idempotency.interceptInline(call, next: next)
                }
                finished(call, nil, since: start)
                return response
            } catch {
                finished(call, error, since: start)
                throw error
            }
        }
    }

    private func check(_ call: ServerCall) throws(RPCError) {
        for c in checks { try c.check(call) }
    }

    private func finished(_ call: ServerCall, _ error: RPCError?, since start: MeshInstant) {
        let elapsed = clock.now() - start
        metrics.recordServer(call.context.method, error?.code ?? .ok, elapsed)
        logging.serverFinished(call, error, elapsed: elapsed)
    }
}
