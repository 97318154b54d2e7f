import Logging
import CoreMetrics
import MeshCore
import MeshWire

/// The standard client steps in one middleware: deadline inheritance, tracing, command keys, metrics and
/// logging, then (if given) breakers and retries — exactly what `DeadlineMiddleware`, `TracingMiddleware`,
/// `CommandKeyMiddleware`, `MetricsMiddleware`, `LoggingMiddleware` and `ResilienceMiddleware` do in that
/// order, but with one async step instead of six and one pair of clock readings shared by metrics, logging and
/// the breaker (what `ClientPipeline.standard` uses when there is no hedging between them).
public struct StandardClientMiddleware: ClientMiddleware {
    let deadline: DeadlineMiddleware
    let metrics: MetricsMiddleware
    let logging: LoggingMiddleware
    let resilience: ResilienceMiddleware?
    let clock: any MeshClock

    /// `resilience` runs inside this step on this step's `clock` (its own clock is not used), sharing its readings.
    public init(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        resilience: ResilienceMiddleware? = nil,
        clock: any MeshClock = SystemClock()
    ) {
        self.deadline = DeadlineMiddleware(clock: clock)
        self.metrics = MetricsMiddleware(factory: metrics, clock: clock)
        self.logging = LoggingMiddleware(logger: logger, clock: clock)
        self.resilience = resilience
        self.clock = clock
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        var call = call
        try deadline.limit(&call)
        TracingMiddleware.stamp(&call)
        CommandKeyMiddleware.stamp(&call)
        let start = clock.now()
        do {
            let response: ResponseHead
            let elapsed: MeshDuration
            if let resilience {
                let sent = try await resilience.send(call, startedAt: start, clock: clock, next: next)
                (response, elapsed) = (sent.response, sent.finishedAt - start)
            } else {
                response = try await next(call)
                elapsed = clock.now() - start
            }
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
