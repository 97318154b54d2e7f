import Logging
import CoreMetrics
import MeshCore
import MeshWire

/// The standard client steps in one middleware: deadline inheritance, tracing, command keys, metrics and
/// logging — exactly what `DeadlineMiddleware`, `TracingMiddleware`, `CommandKeyMiddleware`,
/// `MetricsMiddleware` and `LoggingMiddleware` do in that order, but with one async step instead of five
/// and one pair of clock readings shared by metrics and logging (what `ClientPipeline.standard` uses).
public struct StandardClientMiddleware: ClientMiddleware {
    let deadline: DeadlineMiddleware
    let metrics: MetricsMiddleware
    let logging: LoggingMiddleware
    let clock: any MeshClock

    public init(logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory, clock: any MeshClock = SystemClock()) {
        self.deadline = DeadlineMiddleware(clock: clock)
        self.metrics = MetricsMiddleware(factory: metrics, clock: clock)
        self.logging = LoggingMiddleware(logger: logger, clock: clock)
        self.clock = clock
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        var call = call
        try deadline.limit(&call)
        TracingMiddleware.stamp(&call)
        CommandKeyMiddleware.stamp(&call)
        let start = clock.now()
        do {
            let response = try await next(call)
            let elapsed = clock.now() - start
            metrics.recordClient(call.method, .ok, elapsed)
            logging.clientFinished(call, nil, elapsed: elapsed)
            return response
        } catch {
            let elapsed = clock.now() - start
            metrics.recordClient(call.method, error.code, elapsed)
            logging.clientFinished(call, error, elapsed: elapsed)
            throw error
        }
    }
}
