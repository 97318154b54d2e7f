import CoreMetrics
import Logging
import MeshCore

/// The standard server steps in one middleware: tracing, metrics, logging, deadline, the checks
/// (authorization, validation), then command idempotency — exactly what `TracingMiddleware`,
/// `MetricsMiddleware`, `LoggingMiddleware`, `DeadlineMiddleware`, the checks and `IdempotencyMiddleware` do in
/// that order, with one step instead of several and one pair of clock readings shared by metrics, logging and
/// the deadline checks (what `ServerPipeline.standard` uses). Runs inline too, except commands when idempotency
/// is on.
public struct StandardServerMiddleware: InlineServerMiddleware {
    /// Everything behind one reference: copying the step costs one reference count, and the parts are used in place.
    private let core: Core

    public init(
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory,
        checks: [any CheckingServerMiddleware] = [],
        idempotency: IdempotencyMiddleware? = nil,
        clock: any MeshClock = SystemClock()
    ) {
        core = Core(
            metrics: MetricsMiddleware(factory: metrics, clock: clock),
            logging: LoggingMiddleware(logger: logger, clock: clock),
            deadline: DeadlineMiddleware(clock: clock), checks: checks, idempotency: idempotency, clock: clock)
    }

    public func runsInline(_ call: ServerCall) -> Bool { core.runsInline(call) }

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        try await core.intercept(call, next: next)
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try core.interceptInline(call, next: next)
    }

    /// Whether `begin` and `finish` can serve `call` around its handler: every call but a command when idempotency
    /// is on (its store is async; such a command goes through `intercept`).
    public func runsAround(_ call: ServerCall) -> Bool {
        !core.hasIdempotency || call.kind != .command
    }

    /// A call this step admitted (`begin`), to `finish` once its handler has run.
    public struct Admitted: Sendable {
        fileprivate let start: MeshInstant
    }

    /// For a transport that runs this step around a handler's task itself instead of through `intercept`
    /// (`ServerPipeline.soleStandardStep`, for calls `runsAround` accepts): no async layer is then added per call.
    /// Checks the deadline and the checks as `intercept` does before `next` (a refusal is thrown, already counted
    /// and logged), then runs `start` with the call's deadline and this node's span in scope (`CallScope`),
    /// synchronously. The task `start` creates inherits them: `finish` in it once the handler has run.
    ///
    /// `arrivedAt`: a `SystemClock` reading the transport took when the call arrived, if it took one; the step starts
    /// timing the call there when it runs on the system clock (one clock reading fewer per call).
    public func begin(
        _ call: ServerCall, arrivedAt: MeshInstant? = nil, _ start: (Admitted) -> Task<Void, Never>
    ) throws(RPCError) -> Task<Void, Never> {
        try admit(call, arrivedAt: arrivedAt, forTask: true, then: start)
    }

    /// Serves `call` with an inline handler right here, around it as `interceptInline` does, without the
    /// pipeline's generic steps (for a transport, as `begin`, with the same `arrivedAt`; for calls `runsAround`
    /// accepts).
    public func serveInline(_ call: ServerCall, arrivedAt: MeshInstant? = nil, _ handler: InlineHandler)
        -> Result<ServerResponse, RPCError>
    {
        do throws(RPCError) {
            return try admit(call, arrivedAt: arrivedAt, forTask: false) { admitted in
                let result: Result<ServerResponse, RPCError>
                do throws(RPCError) {
                    result = .success(ServerResponse(payload: try handler(call.payload, call.context)))
                } catch {
                    result = .failure(error)
                }
                return finish(call, admitted, result)
            }
        } catch {
            return .failure(error)
        }
    }

    /// `begin` for any result (specialized for the two public forms: a generic public entry point would look up
    /// type metadata at run time on every call).
    /// `forTask`: bind the scope in the task-local (a task `start` creates inherits it) rather than in the thread's
    /// storage (for an inline handler: no allocation).
    private func admit<R>(
        _ call: ServerCall, arrivedAt: MeshInstant?, forTask: Bool, then start: (Admitted) -> R
    ) throws(RPCError) -> R {
        let admitted = Admitted(start: (core.onSystemClock ? arrivedAt : nil) ?? core.clock.now())
        // A local function, not a closure value: passed only to non-escaping parameters, it captures without a copy.
        func scoped() throws(RPCError) -> R {
            do throws(RPCError) {
                try core.admit(call, at: admitted.start)
            } catch {
                core.finished(call, error, since: admitted.start)
                throw error
            }
            return start(admitted)
        }
        let values = core.scope(of: call)
        return try forTask ? CallScope.forTasks(values, scoped) : CallScope.withInline(values, scoped)
    }

    /// The handler's `result` for a call `begin` admitted, as `intercept` returns it: refused if it came past the
    /// deadline; counted and logged. Call it in the task `begin` started (log lines carry the span in scope).
    public func finish(_ call: ServerCall, _ admitted: Admitted, _ result: Result<ServerResponse, RPCError>)
        -> Result<ServerResponse, RPCError>
    {
        do throws(RPCError) {
            let response = try result.get()
            try core.finished(call, at: core.clock.now(), since: admitted.start)
            return .success(response)
        } catch {
            core.finished(call, error, since: admitted.start)
            return .failure(error)
        }
    }

    /// Sendable: immutable, and every part is Sendable.
    private final class Core: Sendable {
        /// This side's metric objects, held directly (used in place, not copied out of the middleware per call).
        let metrics: MetricsMiddleware.Instruments
        let logging: LoggingMiddleware
        let deadline: DeadlineMiddleware
        let checks: [any CheckingServerMiddleware]
        let idempotency: IdempotencyMiddleware?
        /// `idempotency != nil`, kept apart: testing the optional itself copies the middleware (and counts references).
        let hasIdempotency: Bool
        let clock: any MeshClock
        /// Whether `clock` is the `SystemClock`, whose readings a transport can hand over (`arrivedAt`).
        let onSystemClock: Bool

        init(
            metrics: MetricsMiddleware, logging: LoggingMiddleware, deadline: DeadlineMiddleware,
            checks: [any CheckingServerMiddleware], idempotency: IdempotencyMiddleware?, clock: any MeshClock
        ) {
            self.metrics = metrics.server
            self.logging = logging
            self.deadline = deadline
            self.checks = checks
            self.idempotency = idempotency
            self.hasIdempotency = idempotency != nil
            self.clock = clock
            self.onSystemClock = clock is SystemClock
        }

        func runsInline(_ call: ServerCall) -> Bool { !hasIdempotency || idempotency!.runsInline(call) }

        nonisolated(nonsending) func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
            -> ServerResponse
        {
            try await CallScope.with(scope(of: call)) { () async throws(RPCError) in
                let start = clock.now()
                do throws(RPCError) {
                    try admit(call, at: start)
                    let response =
                        if hasIdempotency, call.kind == .command {
                            try await idempotency!.intercept(call, next: next)
                        } else {
                            try await next(call)  // queries pass idempotency untouched: skip its step
                        }
                    try finished(call, at: clock.now(), since: start)
                    return response
                } catch {
                    finished(call, error, since: start)
                    throw error
                }
            }
        }

        func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
            try CallScope.withInline(scope(of: call)) { () throws(RPCError) in
                let start = clock.now()
                do throws(RPCError) {
                    try admit(call, at: start)
                    let response =
                        if hasIdempotency, call.kind == .command {
                            try idempotency!.interceptInline(call, next: next)  // refuses: commands take the task path
                        } else {
                            try next(call)  // queries pass idempotency untouched, as on the async path
                        }
                    try finished(call, at: clock.now(), since: start)
                    return response
                } catch {
                    finished(call, error, since: start)
                    throw error
                }
            }
        }

        /// This node's span and the caller's deadline (nil binds "no deadline": none is inherited), bound at once.
        func scope(of call: ServerCall) -> CallScope.Values {
            CallScope.Values(deadline: call.context.deadline, trace: TracingMiddleware.span(for: call))
        }

        /// The deadline's start check (with the reading metrics also use), then the checks.
        func admit(_ call: ServerCall, at start: MeshInstant) throws(RPCError) {
            if let d = call.context.deadline { try deadline.checkStart(call, d, now: start) }
            try check(call)
        }

        /// A result at `end`: refused if past the deadline, else counted and logged as a success.
        func finished(_ call: ServerCall, at end: MeshInstant, since start: MeshInstant) throws(RPCError) {
            if let d = call.context.deadline { try deadline.checkFinish(call, d, now: end) }
            metrics.record(call.context.method, .ok, end - start)
            logging.serverFinished(call, nil, elapsed: end - start)
        }

        private func check(_ call: ServerCall) throws(RPCError) {
            for i in checks.indices { try checks[i].check(call) }  // by index: no copy of each check per call
        }

        func finished(_ call: ServerCall, _ error: RPCError, since start: MeshInstant) {
            let elapsed = clock.now() - start
            metrics.record(call.context.method, error.code, elapsed)
            logging.serverFinished(call, error, elapsed: elapsed)
        }
    }
}
