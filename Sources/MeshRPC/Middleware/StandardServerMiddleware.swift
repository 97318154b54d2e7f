import CoreMetrics
import Logging
import MeshCore

/// The standard server steps in one middleware: tracing, metrics, logging, deadline, then the checks
/// (authorization, validation) — exactly what `TracingMiddleware`, `MetricsMiddleware`, `LoggingMiddleware`,
/// `DeadlineMiddleware` and the checks do in that order, with one step instead of several and one pair of
/// clock readings shared by metrics and logging (what `ServerPipeline.standard` uses). Runs inline too.
public struct StandardServerMiddleware: InlineServerMiddleware {
    let metrics: MetricsMiddleware
    let logging: LoggingMiddleware
    let deadline: DeadlineMiddleware
    let checks: [any CheckingServerMiddleware]
    let clock: any MeshClock

    public init(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        checks: [any CheckingServerMiddleware] = [],
        clock: any MeshClock = SystemClock()
    ) {
        self.metrics = MetricsMiddleware(factory: metrics, clock: clock)
        self.logging = LoggingMiddleware(logger: logger, clock: clock)
        self.deadline = DeadlineMiddleware(clock: clock)
        self.checks = checks
        self.clock = clock
    }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        try await CallScope.with(trace: TracingMiddleware.span(for: call)) { () async throws(RPCError) in
            let start = clock.now()
            do throws(RPCError) {
                let response = try await deadline.serve(call) { () async throws(RPCError) in
                    try check(call)
                    return try await next(call)
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
                    return try next(call)
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
