import CoreMetrics
import Logging
import MeshCore

extension ServerPipeline {
    /// The default server pipeline, outermost first: tracing, metrics, logging, deadline, authorization
    /// (if a policy is given), validation (if given), command idempotency.
    public static func standard(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        authorization: AuthorizationPolicy? = nil,
        validation: ValidationMiddleware? = nil,
        idempotency: any IdempotencyStore = InMemoryIdempotencyStore(),
        clock: any MeshClock = SystemClock()
    ) -> ServerPipeline {
        var checks: [any CheckingServerMiddleware] = []
        if let authorization { checks.append(AuthorizationMiddleware(authorization)) }
        if let validation { checks.append(validation) }
        // One step doing what TracingMiddleware, MetricsMiddleware, LoggingMiddleware, DeadlineMiddleware, the
        // checks and IdempotencyMiddleware do, in that order.
        return ServerPipeline([
            StandardServerMiddleware(
                logger: logger, metrics: metrics, checks: checks,
                idempotency: IdempotencyMiddleware(store: idempotency, clock: clock), clock: clock)
        ])
    }
}

extension ClientPipeline {
    /// The default client pipeline, outermost first: deadline inheritance, tracing, command keys, metrics,
    /// logging, then query hedging (if given), then breakers and retries (if given) — so every retry and
    /// hedge carries the same key and trace, and every hedge passes its peer's breaker.
    public static func standard(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        resilience: ResilienceMiddleware? = nil,
        hedging: QueryHedger? = nil,
        clock: any MeshClock = SystemClock()
    ) -> ClientPipeline {
        // One step doing what DeadlineMiddleware, TracingMiddleware, CommandKeyMiddleware, MetricsMiddleware,
        // LoggingMiddleware and (without hedging between them) ResilienceMiddleware do, in that order.
        guard let hedging else {
            return ClientPipeline([
                StandardClientMiddleware(logger: logger, metrics: metrics, resilience: resilience, clock: clock)
            ])
        }
        var steps: [any ClientMiddleware] = [
            StandardClientMiddleware(logger: logger, metrics: metrics, clock: clock), hedging,
        ]
        if let resilience { steps.append(resilience) }
        return ClientPipeline(steps)
    }
}
