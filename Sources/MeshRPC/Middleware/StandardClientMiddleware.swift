import CoreMetrics
import Logging
import MeshCore
import MeshWire

/// The standard client steps in one middleware: deadline inheritance, tracing, command keys, metrics and
/// logging, then (if given) breakers and retries — exactly what `DeadlineMiddleware`, `TracingMiddleware`,
/// `CommandKeyMiddleware`, `MetricsMiddleware`, `LoggingMiddleware` and `ResilienceMiddleware` do in that
/// order, but with one async step instead of six and one pair of clock readings shared by metrics, logging and
/// the breaker (what `ClientPipeline.standard` uses when there is no hedging between them).
public struct StandardClientMiddleware: ClientMiddleware {
    /// Everything behind one reference: copying the step (the pipeline holds it as an existential) then costs one
    /// reference count, not one per part, and the parts are used in place.
    private let core: Core

    /// `resilience` runs inside this step on this step's `clock` (its own clock is not used), sharing its readings.
    public init(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        resilience: ResilienceMiddleware? = nil,
        clock: any MeshClock = SystemClock()
    ) {
        core = Core(
            deadline: DeadlineMiddleware(clock: clock), metrics: MetricsMiddleware(factory: metrics, clock: clock),
            logging: LoggingMiddleware(logger: logger, clock: clock), resilience: resilience, clock: clock)
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        try await core.intercept(call, next: next)
    }

    /// Sendable: immutable, and every part is Sendable.
    private final class Core: Sendable {
        let deadline: DeadlineMiddleware
        let metrics: MetricsMiddleware
        let logging: LoggingMiddleware
        let resilience: ResilienceMiddleware?
        let clock: any MeshClock

        init(
            deadline: DeadlineMiddleware, metrics: MetricsMiddleware, logging: LoggingMiddleware,
            resilience: ResilienceMiddleware?, clock: any MeshClock
        ) {
            self.deadline = deadline
            self.metrics = metrics
            self.logging = logging
            self.resilience = resilience
            self.clock = clock
        }

        nonisolated(nonsending) func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
            -> ResponseHead
        {
            var call = call
            let scope = CallScope.bound  // one task-local read for both
            try deadline.limit(&call, inherited: scope.deadline)
            TracingMiddleware.stamp(&call, scoped: scope.trace)
            CommandKeyMiddleware.stamp(&call)
            let start = clock.now()
            do {
                let response: ResponseHead
                let elapsed: MeshDuration
                if let sent = try await resilience?.send(call, startedAt: start, clock: clock, next: next) {
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
}
