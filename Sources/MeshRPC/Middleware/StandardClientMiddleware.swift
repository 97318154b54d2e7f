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
        var attempts = try begin(call)
        while true {
            let result: Result<ResponseHead, RPCError>
            do { result = .success(try await next(attempts.call)) } catch { result = .failure(error) }
            guard let delay = finish(&attempts, result) else { return try result.get() }
            try await retry(&attempts, after: delay)
        }
    }

    /// One call through this step, for a transport that runs the step itself around its own sends instead of
    /// through `intercept` (`ClientPipeline.soleStandardStep`): no async layer, closure or copy of the call is then
    /// added per call. `begin` stamps the call and admits its first attempt; send `call`; `finish` reports the
    /// result and returns nil when that result is the call's, else a delay to `retry` after, then send again:
    ///
    ///     var attempts = try step.begin(call)
    ///     while true {
    ///         let result = await send(attempts.call)
    ///         guard let delay = step.finish(&attempts, result) else { return try result.get() }
    ///         try await step.retry(&attempts, after: delay)
    ///     }
    public struct Attempts: Sendable {
        /// The attempt to send now: the stamped call, with what is left of its deadline.
        public fileprivate(set) var call: ClientCall
        fileprivate let start: MeshInstant
        fileprivate var resilience: ResilienceMiddleware.Attempts?
    }

    /// Inherits the deadline, stamps the trace and command key, and admits the first attempt. Throws when no time
    /// is left of the inherited deadline, or when the breaker refuses (counted and logged as the call's outcome).
    public func begin(_ call: consuming ClientCall) throws(RPCError) -> Attempts {
        let scope = CallScope.bound  // one task-local read for both
        try core.deadline.limit(&call, inherited: scope.deadline)
        TracingMiddleware.stamp(&call, scoped: scope.trace)
        CommandKeyMiddleware.stamp(&call)
        let start = core.clock.now()
        // The call is handed to `Attempts` last, so it moves there without a copy; the optional middleware is used
        // in place (binding it with `if let` would copy it and count a reference of its shared state).
        var admitted: ResilienceMiddleware.Attempts?
        if core.hasResilience {
            do throws(RPCError) {
                admitted = try core.resilience!.begin(call, at: start)
            } catch {
                core.finished(call, error, elapsed: core.clock.now() - start)
                throw error
            }
        }
        return Attempts(call: call, start: start, resilience: admitted)
    }

    /// Reports the result of the attempt just sent. Returns nil when it is the call's result (counted and logged),
    /// else how long to wait before `retry`.
    public func finish(_ attempts: inout Attempts, _ result: Result<ResponseHead, RPCError>) -> MeshDuration? {
        let now = core.clock.now()
        let failure: RPCError?
        switch result {
        case .success: failure = nil
        case .failure(let error): failure = error
        }
        if attempts.resilience != nil, let delay = core.resilience!.settle(&attempts.resilience!, failure, at: now) {
            return delay
        }
        core.finished(attempts.call, failure, elapsed: now - attempts.start)
        return nil
    }

    /// Waits `delay`, then admits the next attempt with what is left of the deadline. Throws (counted and logged as
    /// the call's outcome) when cancelled while waiting or when the breaker refuses.
    nonisolated(nonsending) public func retry(_ attempts: inout Attempts, after delay: MeshDuration)
        async throws(RPCError)
    {
        do throws(RPCError) {
            try await ResilienceMiddleware.wait(delay, before: attempts.call)
            guard attempts.resilience != nil else {
                throw RPCError(.internal, "\(attempts.call.method): retry without a retry policy")
            }
            attempts.call = try core.resilience!.retry(&attempts.resilience!, attempts.call, at: core.clock.now())
        } catch {
            core.finished(attempts.call, error, elapsed: core.clock.now() - attempts.start)
            throw error
        }
    }

    /// Sendable: immutable, and every part is Sendable.
    private final class Core: Sendable {
        let deadline: DeadlineMiddleware
        /// This side's metric objects, held directly (used in place, not copied out of the middleware per call).
        let metrics: MetricsMiddleware.Instruments
        let logging: LoggingMiddleware
        let resilience: ResilienceMiddleware?
        /// `resilience != nil`, kept apart: testing the optional itself copies the middleware.
        let hasResilience: Bool
        let clock: any MeshClock

        init(
            deadline: DeadlineMiddleware, metrics: MetricsMiddleware, logging: LoggingMiddleware,
            resilience: ResilienceMiddleware?, clock: any MeshClock
        ) {
            self.deadline = deadline
            self.metrics = metrics.client
            self.logging = logging
            self.resilience = resilience
            self.hasResilience = resilience != nil
            self.clock = clock
        }

        /// The call's outcome, counted and logged.
        func finished(_ call: ClientCall, _ error: RPCError?, elapsed: MeshDuration) {
            metrics.record(call.method, error?.code ?? .ok, elapsed)
            logging.clientFinished(call, error, elapsed: elapsed)
        }
    }
}
